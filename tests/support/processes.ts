import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as tcpConnect, type Server as TcpServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;

export type ServiceProcess = { ports: number[]; output: string[]; stop(): Promise<void>; kill(signal: "SIGKILL" | "SIGTERM" | "SIGINT"): void; exited: Promise<number> };

/**
 * Starts one of the project's services as its own process (the runtime running this test),
 * waits for its start-up line, and reads the ports it printed (`:1234`). Fails with the
 * process's output when it exits or does not start within `timeoutMs`.
 */
export type Runtime = "bun" | "node" | "deno";

/** How each runtime runs the project's TypeScript entry points (the README says the same). */
export function runtimeCommand(runtime: Runtime, script: string): string[] {
  const entry = join(ROOT, script);
  switch (runtime) {
    case "bun":
      return [process.execPath, entry];
    case "node":
      return ["node", "--import", "tsx", entry];
    case "deno":
      return [join(ROOT, "node_modules/.bin/deno"), "run", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-sys", entry];
  }
}

export async function startService(script: string, env: Record<string, string>, timeoutMs = 15_000, runtime: Runtime = "bun"): Promise<ServiceProcess> {
  const child = Bun.spawn(runtimeCommand(runtime, script), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", DENO_NO_UPDATE_CHECK: "1", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const output: string[] = [];
  const decoder = new TextDecoder();
  let started: (ports: number[]) => void;
  let failed: (error: Error) => void;
  const ready = new Promise<number[]>((resolve, reject) => ((started = resolve), (failed = reject)));
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    let buffer = "";
    for await (const chunk of stream) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        output.push(line);
        if (output.length > 200) output.shift(); // the last lines are what a failure report needs
        if (/^ssomigrate\b.*\bon :\d+/.test(line)) started([...line.matchAll(/:(\d+)\b/g)].map((m) => Number(m[1])));
      }
    }
  };
  void collect(child.stdout);
  void collect(child.stderr);
  void child.exited.then((code) => failed(new Error(`${script} exited with ${code}:\n${output.join("\n")}`)));
  const timer = setTimeout(() => failed(new Error(`${script} did not start within ${timeoutMs} ms:\n${output.join("\n")}`)), timeoutMs);
  try {
    const ports = await ready;
    return {
      ports,
      output,
      kill: (signal) => child.kill(signal),
      exited: child.exited,
      async stop() {
        child.kill("SIGTERM");
        const started = performance.now();
        const exited = await Promise.race([child.exited, new Promise((resolve) => setTimeout(() => resolve("timeout"), 5000))]);
        if (process.env.SSOMIG_TEST_DEBUG) console.error(`${script} stopped in ${(performance.now() - started).toFixed(0)} ms (${String(exited)})`);
        if (exited === "timeout") child.kill("SIGKILL");
        await child.exited;
      },
    };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** A throwaway directory for a config file and DATA_DIR; removed by `cleanup`. */
export function tempDir(): { path: string; write(name: string, content: string): string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), "ssomig-test-"));
  return {
    path,
    write(name, content) {
      const file = join(path, name);
      writeFileSync(file, content);
      return file;
    },
    cleanup: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** A free TCP port on loopback (bind to 0, read it, release it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A TCP proxy the test can cut: `close()` drops every connection and stops listening (the
 * target looks down), `open()` listens again on the same port.
 */
export async function tcpProxy(target: { host: string; port: number }): Promise<{ port: number; open(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: TcpServer | null = null;
  const port = await freePort();
  const open = async () => {
    if (server) return;
    server = createServer((client) => {
      const upstream = tcpConnect(target.port, target.host);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on("error", end).on("close", end);
      upstream.on("error", end).on("close", end);
    });
    await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
  };
  await open();
  return {
    port,
    open,
    async close() {
      const closing = server;
      server = null;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
}

/**
 * Our own nats-server on a free port, to stop and start at will; with `jetStream`, JetStream on
 * with its store in a temp dir (kept across restarts, removed by `close`). A start can turn
 * JetStream on or off for that run.
 */
export async function natsServer(options: { jetStream?: boolean } = {}): Promise<{ url: string; start(overrides?: { jetStream?: boolean }): Promise<void>; stop(): Promise<void>; close(): Promise<void> }> {
  const binary = "/usr/sbin/nats-server";
  if (!(await Bun.file(binary).exists())) throw new Error(`this test starts its own NATS and needs ${binary} (Debian package nats-server)`);
  const port = await freePort();
  let store: ReturnType<typeof tempDir> | null = null;
  let child: ReturnType<typeof Bun.spawn> | null = null;
  /** `overrides.jetStream` overrides the option for this start (a server restarted with JetStream turned on or off). */
  const start = async (overrides: { jetStream?: boolean } = {}) => {
    const jetStream = overrides.jetStream ?? options.jetStream ?? false;
    if (jetStream) store ??= tempDir();
    child = Bun.spawn([binary, "-a", "127.0.0.1", "-p", String(port), ...(jetStream && store ? ["-js", "-sd", store.path] : [])], { stdout: "ignore", stderr: "ignore" });
    const deadline = performance.now() + 5000;
    for (;;) {
      const open = await new Promise<boolean>((resolve) => {
        const socket = tcpConnect(port, "127.0.0.1");
        socket.once("connect", () => (socket.destroy(), resolve(true)));
        socket.once("error", () => resolve(false));
      });
      if (open) return;
      if (performance.now() > deadline) throw new Error(`nats-server did not open port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const stop = async () => {
    child?.kill("SIGKILL");
    await child?.exited;
    child = null;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    start,
    stop,
    async close() {
      await stop();
      store?.cleanup();
    },
  };
}
