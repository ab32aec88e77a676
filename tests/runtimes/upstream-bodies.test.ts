import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { eventually } from "../support/eventually.ts";
import type { Runtime } from "../support/processes.ts";
import { rawExchange, rawRequest } from "../router/raw-http.ts";
import { recordingUpstream, routerProcess, type RecordingUpstream, type RouterProcess } from "./edge-harness.ts";

/**
 * The two ends a router does not control, against a router process on each runtime: a provider
 * whose body stops after its headers, a client that goes away, a client whose body trickles in.
 * The provider timeout (10 s) is far above every wait here, so only the new settings can act.
 */
const SETTINGS = { ROUTER_UPSTREAM_IDLE_MS: "1000", ROUTER_BODY_TIMEOUT_MS: "500" };

/** Resolves with true when `promise` settles within `ms`, false otherwise (never leaves a timer behind). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** How many requests the router's metrics count as 5xx. */
const fiveHundreds = (metrics: string) => [...metrics.matchAll(/status="5\d\d"\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);

for (const runtime of ["bun", "node", "deno"] as Runtime[]) {
  describe(`router on ${runtime}`, () => {
    let upstream: RecordingUpstream;
    let router: RouterProcess;
    beforeAll(async () => {
      upstream = await recordingUpstream();
      router = await routerProcess(runtime, upstream, SETTINGS);
    }, 60_000);
    afterAll(async () => {
      await router?.close();
      await upstream?.stop();
    }, 30_000);
    beforeEach(() => {
      upstream.behave("echo");
      upstream.received.length = 0;
    });

    test("a provider body that streams in chunks with pauses shorter than the idle timeout arrives whole", async () => {
      upstream.behave("chunks");
      const response = await fetch(`http://127.0.0.1:${router.port}/streams`, { signal: AbortSignal.timeout(8000) });
      expect(await response.text()).toBe([1, 2, 3, 4, 5].map((n) => `chunk ${n}\n`).join(""));
    }, 15_000);

    test("a provider body that stalls after its headers is cut after the idle timeout, and logged", async () => {
      upstream.behave("stall");
      const response = await fetch(`http://127.0.0.1:${router.port}/stalls`, { signal: AbortSignal.timeout(8000) });
      expect(response.status).toBe(200);
      // The client sees the body end in an error, not hang until its own timeout.
      const outcome = await response.text().then(
        () => "complete",
        (error: Error) => error.name,
      );
      expect(outcome).not.toBe("TimeoutError");
      expect(outcome).not.toBe("complete");
      // The provider's connection is closed, not left open.
      expect(await within(upstream.received[0]!.closed, 3000)).toBe(true);
      const logged = await eventually(async () => router.logs().find((l) => l.msg === "upstream body stalled"), (l) => l !== undefined, 3000);
      expect(logged).toMatchObject({ level: "warn", provider: "legacy", idleMs: 1000 });
    }, 15_000);

    test("a small declared provider body that stalls is answered 504 before anything reaches the client", async () => {
      upstream.behave("stall-declared");
      const stallsBefore = router.logs().filter((l) => l.msg === "upstream body stalled").length;
      const response = await fetch(`http://127.0.0.1:${router.port}/stalls-declared`, { signal: AbortSignal.timeout(8000) });
      expect(response.status).toBe(504);
      expect(((await response.json()) as { code: string }).code).toBe("upstream_timeout");
      expect(await within(upstream.received[0]!.closed, 3000)).toBe(true);
      const logged = await eventually(async () => router.logs().filter((l) => l.msg === "upstream body stalled"), (l) => l.length === stallsBefore + 1, 3000);
      expect(logged.at(-1)).toMatchObject({ level: "warn", provider: "legacy", idleMs: 1000 });
    }, 15_000);

    test("clients that vanish abort their upstream requests, are logged as 499 at info level and never counted as 5xx", async () => {
      upstream.behave("silent");
      const errorsBefore = fiveHundreds(await router.metrics());
      const clients = 5;
      const sockets = Array.from({ length: clients }, (_, i) => {
        const socket = connect(router.port, "127.0.0.1");
        socket.on("error", () => {});
        socket.write(`GET /vanishing-client-${i} HTTP/1.1\r\nHost: auth.example.test\r\n\r\n`);
        return socket;
      });
      await eventually(async () => upstream.received.length, (n) => n === clients, 5000);
      for (const socket of sockets) socket.destroy();
      // Every upstream request is aborted long before the provider's 10 s timeout.
      expect(await within(Promise.all(upstream.received.map((r) => r.closed)), 5000)).toBe(true);
      const lines = await eventually(async () => router.logs().filter((l) => l.msg === "route" && String(l.path).startsWith("/vanishing-client-")), (l) => l.length === clients, 5000);
      for (const line of lines) expect(line).toMatchObject({ level: "info", status: 499 });
      const metrics = await router.metrics();
      expect(metrics).toMatch(new RegExp(`status="499"\\} ${clients}\\b`));
      expect(fiveHundreds(metrics)).toBe(errorsBefore);
    }, 20_000);

    test("a client that leaves mid-body aborts the provider's answer", async () => {
      upstream.behave("drip");
      const socket = connect(router.port, "127.0.0.1");
      socket.on("error", () => {});
      let received = "";
      socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
      socket.write("GET /dripping HTTP/1.1\r\nHost: auth.example.test\r\n\r\n");
      await eventually(async () => received, (text) => text.includes("drip"), 5000);
      socket.destroy();
      expect(await within(upstream.received[0]!.closed, 3000)).toBe(true);
    }, 15_000);

    test("a client that leaves while sending its body is logged as 499, not as the router's failure", async () => {
      const errorsBefore = fiveHundreds(await router.metrics());
      const socket = connect(router.port, "127.0.0.1");
      socket.on("error", () => {});
      let received = "";
      socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
      // Expect: 100-continue gives a point in time when the router has the request and waits for its body.
      socket.write("POST /leaves-mid-body HTTP/1.1\r\nHost: auth.example.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n");
      await eventually(async () => received, (text) => text.startsWith("HTTP/1.1 100"), 5000);
      await new Promise<void>((resolve) => socket.write("abc", () => resolve()));
      socket.destroy();
      const line = await eventually(async () => router.logs().find((l) => l.msg === "route" && l.path === "/leaves-mid-body"), (l) => l !== undefined, 5000);
      expect(line).toMatchObject({ status: 499 });
      expect(upstream.received).toHaveLength(0);
      expect(fiveHundreds(await router.metrics())).toBe(errorsBefore);
    }, 15_000);

    test("a chunked request body that trickles in is cut after the read timeout with 408", async () => {
      async function* trickle() {
        for (let i = 0; i < 100; i++) {
          yield new TextEncoder().encode("1\r\na\r\n");
          await new Promise((resolve) => setTimeout(resolve, 200)); // one byte per chunk, then a pause
        }
        yield new TextEncoder().encode("0\r\n\r\n");
      }
      const response = await rawRequest(router.port, "POST /oauth/token HTTP/1.1\r\nHost: auth.example.test\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n", {
        body: trickle(),
        timeoutMs: 8000,
      });
      expect(response.status).toBe(408);
      expect(upstream.received).toHaveLength(0);
    }, 15_000);

    test("a request body that trickles in is cut after the read timeout with 408 and never forwarded", async () => {
      async function* trickle() {
        for (let i = 0; i < 100; i++) {
          yield new TextEncoder().encode("a");
          await new Promise((resolve) => setTimeout(resolve, 200)); // the attack's pace: one byte, then a pause
        }
      }
      const started = performance.now();
      // Reads until the router closes the connection (a second answer never comes). Deno's server
      // keeps the connection until the body ends despite "Connection: close" (README, Limits): there,
      // only the 408 is awaited.
      const closes = runtime !== "deno";
      const { responses, closed } = await rawExchange(router.port, "POST /login/callback HTTP/1.1\r\nHost: auth.example.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n", closes ? 2 : 1, {
        body: trickle(),
        timeoutMs: 8000,
      });
      expect(responses.map((r) => r.status)).toEqual([408]);
      expect(JSON.parse(responses[0]!.text)).toMatchObject({ code: "request_timeout" });
      // The slow client is not kept on its connection.
      expect(closed).toBe(closes);
      // Cut by the 500 ms read timeout, long before the 20 s the body would take.
      expect(performance.now() - started).toBeLessThan(5000);
      expect(upstream.received).toHaveLength(0);
    }, 15_000);
  });
}
