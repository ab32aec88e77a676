import { createServer, connect as tcpConnect, type Socket } from "node:net";

export type FaultProxy = {
  /** Loopback port that clients connect to instead of the target. */
  port: number;
  /** Every byte, either way, is dropped: connections stay open and silent (new ones are accepted too). */
  blackhole(): void;
  /** Every chunk, either way, arrives `ms` later (order kept). */
  slow(ms: number): void;
  /**
   * Forwards again. Connections that lost bytes while blackholed are reset, as a firewall that
   * dropped their state would: their peers could never agree on what was said.
   */
  resume(): void;
  /** Connections open now. */
  connections(): number;
  close(): Promise<void>;
};

type Link = { client: Socket; upstream: Socket; lost: boolean; clientAt: number; upstreamAt: number };

/**
 * A TCP proxy a test controls, for faults a refused connection cannot show: a dependency that
 * accepts and never answers, one that answers slowly, one that comes back. It runs in the test
 * process; the services under test run in their own processes and reach the real server through it.
 */
export async function faultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let mode: "pass" | "blackhole" | "slow" = "pass";
  let delayMs = 0;
  const links = new Set<Link>();

  const forward = (link: Link, chunk: Buffer | string, to: Socket, side: "clientAt" | "upstreamAt") => {
    if (mode === "blackhole") {
      link.lost = true;
      return;
    }
    if (mode === "pass" && link[side] <= Date.now()) {
      to.write(chunk);
      return;
    }
    // Never overtake a chunk still waiting: each direction delivers in order.
    const at = Math.max(link[side], Date.now() + delayMs);
    link[side] = at;
    setTimeout(() => to.destroyed || to.write(chunk), at - Date.now());
  };

  const server = createServer((client) => {
    const upstream = tcpConnect(target.port, target.host);
    const link: Link = { client, upstream, lost: false, clientAt: 0, upstreamAt: 0 };
    links.add(link);
    client.on("data", (chunk) => forward(link, chunk, upstream, "upstreamAt"));
    upstream.on("data", (chunk) => forward(link, chunk, client, "clientAt"));
    const end = () => {
      client.destroy();
      upstream.destroy();
      links.delete(link);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    blackhole: () => void (mode = "blackhole"),
    slow(ms) {
      mode = "slow";
      delayMs = ms;
    },
    resume() {
      mode = "pass";
      delayMs = 0;
      for (const link of links) {
        if (!link.lost) continue;
        link.client.destroy();
        link.upstream.destroy();
        links.delete(link);
      }
    },
    connections: () => links.size,
    async close() {
      for (const link of links) {
        link.client.destroy();
        link.upstream.destroy();
      }
      links.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
