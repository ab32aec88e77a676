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
