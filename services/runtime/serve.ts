/**
 * Serving is the one thing every runtime does its own way; this file is the whole difference.
 * Everything else hands around Web-standard `fetch` handlers.
 */
export type FetchHandler = (request: Request) => Response | Promise<Response>;
export type Server = { port: number; close(): Promise<void> };

declare const Bun: { serve(o: { port: number; hostname: string; fetch: FetchHandler; idleTimeout?: number }): { port: number; stop(closeActive?: boolean): Promise<void> } } | undefined;
declare const Deno: { serve(o: { port: number; hostname: string; onListen?: () => void }, h: FetchHandler): { addr: { port: number }; shutdown(): Promise<void> } } | undefined;

export const runtimeName = (): "bun" | "deno" | "node" => (typeof Bun !== "undefined" ? "bun" : typeof Deno !== "undefined" ? "deno" : "node");

export async function serve(options: { port: number; hostname?: string; fetch: FetchHandler }): Promise<Server> {
  const hostname = options.hostname ?? "0.0.0.0";
  if (typeof Bun !== "undefined") {
    const server = Bun.serve({ port: options.port, hostname, fetch: options.fetch, idleTimeout: 60 });
    return { port: server.port, close: () => server.stop() };
  }
  if (typeof Deno !== "undefined") {
    const server = Deno.serve({ port: options.port, hostname, onListen: () => {} }, options.fetch);
    return { port: server.addr.port, close: () => server.shutdown() };
  }
  const { serve: nodeServe } = await import("@hono/node-server");
  return new Promise((resolve) => {
    const server = nodeServe({ fetch: options.fetch, port: options.port, hostname }, (info) =>
      resolve({ port: info.port, close: () => new Promise<void>((done) => server.close(() => done())) }),
    );
  });
}
