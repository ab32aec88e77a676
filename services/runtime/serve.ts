/**
 * Serving is the one thing every runtime does its own way; this file is the whole difference.
 * Everything else hands around Web-standard `fetch` handlers.
 */
/**
 * `env.clientIp` is the peer address as the runtime saw it (Hono apps read it as `c.env`);
 * `env.target` is the request target exactly as received, where `request.url` would not keep it.
 */
export type ServeEnv = { clientIp: string | null; target?: string | null };
export type FetchHandler = (request: Request, env: ServeEnv) => Response | Promise<Response>;
export type Server = { port: number; close(): Promise<void> };

type BunServer = { port: number; stop(closeActive?: boolean): Promise<void>; requestIP(r: Request): { address: string } | null };
declare const Bun: { serve(o: { port: number; hostname: string; fetch: (r: Request, s: BunServer) => Response | Promise<Response>; idleTimeout?: number }): BunServer } | undefined;
type DenoHandler = (r: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>;
declare const Deno: { serve(o: { port: number; hostname: string; onListen?: () => void }, h: DenoHandler): { addr: { port: number }; shutdown(): Promise<void> } } | undefined;

export const runtimeName = (): "bun" | "deno" | "node" => (typeof Bun !== "undefined" ? "bun" : typeof Deno !== "undefined" ? "deno" : "node");

/**
 * `exactTarget`: the app forwards the request target byte for byte. Bun.serve and Node's
 * `Request` rebuild `request.url` with the URL parser (dot segments, `%2e` spellings resolved;
 * under Bun an absolute-form target's authority replaced by Host), so on Bun such an app is
 * served by node:http, whose `url` is the target as received, and `env.target` carries it.
 * Deno's `request.url` keeps the received target as it is.
 */
export async function serve(options: { port: number; hostname?: string; fetch: FetchHandler; exactTarget?: boolean }): Promise<Server> {
  const hostname = options.hostname ?? "0.0.0.0";
  if (typeof Bun !== "undefined" && !options.exactTarget) {
    const server = Bun.serve({ port: options.port, hostname, idleTimeout: 60, fetch: (r, s) => options.fetch(r, { clientIp: s.requestIP(r)?.address ?? null }) });
    return { port: server.port, close: () => server.stop() };
  }
  if (typeof Deno !== "undefined") {
    const server = Deno.serve({ port: options.port, hostname, onListen: () => {} }, (r, info) => options.fetch(r, { clientIp: info.remoteAddr.hostname }));
    return { port: server.addr.port, close: () => server.shutdown() };
  }
  const { serve: nodeServe } = await import("@hono/node-server");
  return new Promise((resolve) => {
    type NodeEnv = { incoming: { url?: string; socket: { remoteAddress?: string } } };
    const fetch = (r: Request, env: NodeEnv) => options.fetch(r, { clientIp: env.incoming.socket.remoteAddress ?? null, target: env.incoming.url ?? null });
    // Under Bun the other servers are Bun.serve, which only knows Bun's own Request/Response: no global swap.
    const server = nodeServe({ fetch, port: options.port, hostname, overrideGlobalObjects: typeof Bun === "undefined" }, (info) =>
      resolve({ port: info.port, close: () => new Promise<void>((done) => server.close(() => done())) }),
    );
  });
}
