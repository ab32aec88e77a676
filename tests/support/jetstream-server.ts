import { connect as tcpConnect } from "node:net";
import { freePort, tempDir } from "./processes.ts";

/** Our own nats-server with JetStream (store in a temp dir), to stop and start at will. */
export async function jetStreamServer(): Promise<{ url: string; start(): Promise<void>; stop(): Promise<void>; close(): Promise<void> }> {
  const binary = "/usr/sbin/nats-server";
  if (!(await Bun.file(binary).exists())) throw new Error(`this test starts its own NATS and needs ${binary} (Debian package nats-server)`);
  const port = await freePort();
  const store = tempDir();
  let child: ReturnType<typeof Bun.spawn> | null = null;
  const start = async () => {
    child = Bun.spawn([binary, "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store.path], { stdout: "ignore", stderr: "ignore" });
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
      store.cleanup();
    },
  };
}

/**
 * Deletes the credential buckets routers started under `prefixes` created (`<prefix>-credentials-*`),
 * so a test that runs router processes on the shared NATS leaves nothing behind.
 */
export async function deleteCredentialBuckets(prefixes: Iterable<string>, url = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222"): Promise<void> {
  const { connect } = await import("nats");
  const nc = await connect({ servers: url, timeout: 2000, maxReconnectAttempts: 0 }).catch(() => null);
  if (!nc) return; // no NATS, so no buckets
  try {
    const jsm = await nc.jetstreamManager();
    for (const prefix of prefixes) {
      for (const kind of ["code", "access_token", "refresh_token"]) await jsm.streams.delete(`KV_${prefix}-credentials-${kind}`).catch(() => false);
    }
  } catch {
    // JetStream not enabled: routers could not have created buckets either.
  } finally {
    await nc.close();
  }
}
