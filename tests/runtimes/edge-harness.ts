import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { randomSecret } from "../support/secrets.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { startService, tempDir, type Runtime, type ServiceProcess } from "../support/processes.ts";

/** What a provider received, as it arrived on the wire (node:http keeps the raw request target). */
export type Received = {
  method: string;
  target: string;
  /** Header lines as sent, names lower-cased. */
  headers: [string, string][];
  body: Uint8Array;
  /** Resolves when the router closed the connection this request came on. */
  closed: Promise<void>;
  header(name: string): string | null;
};

export type Behaviour = "echo" | "silent" | "stall" | "stall-declared" | "drip" | "chunks";

/**
 * A provider as a real HTTP server that records every request. `echo` answers with what it
 * received; `silent` never answers; `stall` sends headers and a first chunk, then nothing;
 * `stall-declared` does the same with a declared Content-Length of 1000; `drip` sends a chunk
 * every 50 ms until its connection closes; `chunks` sends five chunks 20 ms apart, then ends.
 */
export async function recordingUpstream() {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  let behaviour: Behaviour = "echo";
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    // A request counts once its head has arrived, before its body: silent upstreams never read it all.
    const closed = new Promise<void>((resolve) => outgoing.on("close", () => resolve()));
    const headers: [string, string][] = [];
    for (let i = 0; i < incoming.rawHeaders.length; i += 2) headers.push([incoming.rawHeaders[i]!.toLowerCase(), incoming.rawHeaders[i + 1]!]);
    const entry: Received = { method: incoming.method!, target: incoming.url!, headers, body: new Uint8Array(0), closed, header: (name) => headers.find(([n]) => n === name)?.[1] ?? null };
    received.push(entry);
    const mode = behaviour;
    incoming.on("end", () => {
      entry.body = new Uint8Array(Buffer.concat(chunks));
      if (mode === "silent") return;
      if (mode === "chunks") {
        outgoing.writeHead(200, { "content-type": "text/plain" });
        let sent = 0;
        const next = setInterval(() => {
          outgoing.write(`chunk ${++sent}\n`);
          if (sent === 5) (clearInterval(next), outgoing.end());
        }, 20);
        return;
      }
      if (mode === "drip") {
        outgoing.writeHead(200, { "content-type": "text/plain" });
        const drip = setInterval(() => outgoing.write("drip\n"), 50);
        outgoing.on("close", () => clearInterval(drip));
        return;
      }
      if (mode === "stall" || mode === "stall-declared") {
        outgoing.writeHead(200, { "content-type": "text/plain", ...(mode === "stall-declared" ? { "content-length": "1000" } : {}) });
        outgoing.write("first part of a body that never ends\n");
        return;
      }
      outgoing.writeHead(200, { "content-type": "application/json" });
      outgoing.end(JSON.stringify({ target: entry.target, bodyLength: entry.body.length }));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    behave(next: Behaviour) {
      behaviour = next;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type RecordingUpstream = Awaited<ReturnType<typeof recordingUpstream>>;

/**
 * One router as its own process on `runtime` (`npm run start:router`), on a throwaway
 * PostgreSQL database, with both providers pointing at one recording upstream.
 */
export async function routerProcess(runtime: Runtime, upstream: RecordingUpstream, env: Record<string, string> = {}, providerTimeoutMs = 10_000) {
  const db: TestDatabase = await createTestDatabase();
  const dir = tempDir();
  const config = dir.write(
    "config.json",
    JSON.stringify({
      publicUrl: "https://auth.example.test",
      providers: [
        { id: "legacy", role: "legacy", origin: upstream.origin, timeoutMs: providerTimeoutMs },
        { id: "target", role: "target", origin: upstream.origin, timeoutMs: providerTimeoutMs },
      ],
    }),
  );
  let service: ServiceProcess;
  try {
    service = await startService(
      "services/router/main.ts",
      { DATABASE_URL: db.url, SSOMIG_CONFIG: config, DATA_DIR: dir.path, ROUTER_PIN_SECRET: randomSecret("pin"), ROUTER_PORT: "0", ROUTER_ADMIN_PORT: "0", ...env },
      30_000,
      runtime,
    );
  } catch (error) {
    await db.drop();
    dir.cleanup();
    throw error;
  }
  const [port, admin] = service.ports as [number, number];
  return {
    port,
    admin,
    service,
    /** The JSON lines the router logged so far. */
    logs(): Record<string, unknown>[] {
      return service.output.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    async metrics(): Promise<string> {
      return (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
    },
    async close() {
      await service.stop();
      await db.drop();
      dir.cleanup();
    },
  };
}

export type RouterProcess = Awaited<ReturnType<typeof routerProcess>>;
