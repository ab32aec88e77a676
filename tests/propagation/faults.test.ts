import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { eventually } from "../support/eventually.ts";
import { faultProxy, type FaultProxy } from "../support/fault-proxy.ts";
import { TEST_NATS_URL, natsAvailable } from "../support/nats.ts";
import { deployment, type Deployment, type Router } from "./harness.ts";

// Faults a refused connection cannot show: a dependency that accepts and never answers, one that
// answers slowly, one that comes back. A real command API and real routers run in their own
// processes; the fault proxy (in this process) sits between them and the real server.

const everyRouterSees = (d: Deployment, routers: Router[], domain: string, provider: string, timeoutMs: number) =>
  eventually(() => Promise.all(routers.map((r) => d.providerSeenBy(r, domain))), (seen) => seen.every((p) => p === provider), timeoutMs);
const statuses = (d: Deployment, routers: Router[]) => Promise.all(routers.map((r) => d.status(r)));
const adminGet = async (router: Router, path: string) => {
  const response = await fetch(`http://127.0.0.1:${router.admin}${path}`);
  return { status: response.status, text: await response.text() };
};
const gauge = (metrics: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics)?.[1] ?? NaN);
const url = (base: string, port: number, from: number) => base.replace(`:${from}/`, `:${port}/`);

describe("with PostgreSQL blackholed (accepts TCP, answers nothing)", () => {
  const POLL_MS = 200;
  const DB_TIMEOUT_MS = 1000; // the client gives up 1 s later: 2 s
  let proxy: FaultProxy;
  let d: Deployment;
  let routers: Router[];
  beforeAll(async () => {
    await natsAvailable();
    proxy = await faultProxy({ host: "127.0.0.1", port: 5432 });
    d = await deployment({
      natsUrl: TEST_NATS_URL,
      pollMs: POLL_MS,
      databaseUrl: (db) => url(db.url, proxy.port, 5432),
      env: { DATABASE_TIMEOUT_MS: String(DB_TIMEOUT_MS) },
    });
    routers = await Promise.all([d.startRouter(), d.startRouter()]);
    await d.command("/v1/organizations", { id: "acme", name: "Acme", identifiers: [{ kind: "domain", value: "acme.com" }] });
    await d.command("/v1/organizations/acme/migrate", { reason: "before the outage" });
    await everyRouterSees(d, routers, "acme.com", "target", 3000);
  }, 60_000);
  afterAll(async () => {
    proxy?.resume();
    await d?.close();
    await proxy?.close();
  }, 30_000);

  test("routers turn degraded and keep routing, the API answers 503 in time, and both recover on their own", async () => {
    expect((await statuses(d, routers)).map((s) => s.degraded)).toEqual([false, false]);
    proxy.blackhole();

    // Degraded once a refresh is overdue (poll interval + timeout), with the table's age.
    const degraded = await eventually(() => statuses(d, routers), (all) => all.every((s) => s.degraded === true), 10_000);
    for (const s of degraded) {
      expect(s.degradedReasons.length).toBeGreaterThan(0);
      expect(s.tableAgeSeconds).toBeGreaterThan(0);
    }
    await eventually(() => statuses(d, routers), (all) => all.every((s) => s.degradedReasons.includes("refresh_overdue") && s.tableAgeSeconds > (POLL_MS + DB_TIMEOUT_MS) / 1000), 10_000);
    for (const router of routers) {
      const ready = await adminGet(router, "/readyz");
      expect(ready.status).toBe(200); // still serving from memory (README: /readyz)
      expect(JSON.parse(ready.text)).toMatchObject({ status: "degraded", reasons: expect.arrayContaining(["refresh_overdue"]) });
      expect(gauge((await adminGet(router, "/metrics")).text, "ssomig_router_degraded")).toBe(1);
      expect(gauge((await adminGet(router, "/metrics")).text, "ssomig_route_table_age_seconds")).toBeGreaterThan(1);
      expect((await adminGet(router, "/healthz")).status).toBe(200); // the loop is not stuck: each poll fails in time
    }
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => d.providerSeenBy(routers[i % routers.length]!, "acme.com")));
    expect(answers.filter((p) => p !== "target")).toEqual([]);

    // The API gives up on its own; the abort is only there so that a regression fails instead of hanging.
    const read = await d.get("/v1/organizations/acme", { signal: AbortSignal.timeout(15_000) });
    expect(read.status).toBe(503);
    expect(read.body.code).toBe("store_unavailable");
    const write = await d.command("/v1/organizations/acme/rollback", { reason: "during the outage" });
    expect(write.status).toBe(503);
    expect(write.body.code).toBe("store_unavailable");
    expect((await fetch(`${d.apiUrl}/readyz`, { signal: AbortSignal.timeout(15_000) })).status).toBe(503);
    const scrape = await (await fetch(`${d.apiUrl}/metrics`, { signal: AbortSignal.timeout(15_000) })).text();
    expect(gauge(scrape, "ssomig_store_up")).toBe(0);

    proxy.resume();
    const recovered = await eventually(() => d.command("/v1/organizations/acme/rollback", { reason: "after the outage" }), (r) => r.status !== 503, 15_000);
    expect([200, 409]).toContain(recovered.status); // 409: the rollback sent during the outage committed after all
    await everyRouterSees(d, routers, "acme.com", "legacy", 5000);
    let last = 0;
    for (let i = 0; i < 5; i++) {
      expect((await d.command("/v1/organizations/acme/migrate", { reason: `after ${i}` })).status).toBe(200);
      const rolledBack = await d.command("/v1/organizations/acme/rollback", { reason: `after ${i}` });
      expect(rolledBack.status).toBe(200);
      last = rolledBack.body.position;
    }
    // Every router reaches the log's head (the issue: still 32 positions behind five minutes later).
    const caughtUp = await eventually(() => statuses(d, routers), (all) => all.every((s) => s.degraded === false && s.position === last && s.behind === 0), 10_000);
    expect(await Promise.all(routers.map((r) => d.providerSeenBy(r, "acme.com")))).toEqual(["legacy", "legacy"]);
    for (const s of caughtUp) {
      expect(Date.parse(s.lastPollAt)).toBeGreaterThan(Date.now() - 5000);
      expect(s.tableAgeSeconds).toBeLessThan(2);
    }
    expect((await fetch(`${d.apiUrl}/readyz`)).status).toBe(200);
    expect(gauge(await (await fetch(`${d.apiUrl}/metrics`)).text(), "ssomig_store_up")).toBe(1);
  }, 90_000);

  test("a slow database within the timeout is not a fault; past it, routers degrade and recover", async () => {
    proxy.slow(150);
    await d.command("/v1/organizations", { id: "slowco", name: "Slow", identifiers: [{ kind: "domain", value: "slow.example" }] });
    expect((await d.command("/v1/organizations/slowco/migrate", { reason: "slow" })).status).toBe(200);
    await everyRouterSees(d, routers, "slow.example", "target", 10_000);
    const slowed = await statuses(d, routers);
    expect(slowed.map((s) => s.degradedReasons.filter((r: string) => r !== "horizon_stuck"))).toEqual([[], []]);

    proxy.slow(2500);
    await eventually(() => statuses(d, routers), (all) => all.every((s) => s.degraded === true), 15_000);
    proxy.resume();
    await eventually(() => statuses(d, routers), (all) => all.every((s) => s.degraded === false), 15_000);
    expect((await d.command("/v1/organizations/slowco/rollback", { reason: "fast again" })).status).toBe(200);
    await everyRouterSees(d, routers, "slow.example", "legacy", 5000);
  }, 90_000);
});

describe("with NATS blackholed (accepts TCP, answers nothing)", () => {
  const POLL_MS = 300;
  let proxy: FaultProxy;
  let d: Deployment;
  let routers: Router[];
  beforeAll(async () => {
    await natsAvailable();
    const nats = new URL(TEST_NATS_URL);
    proxy = await faultProxy({ host: nats.hostname, port: Number(nats.port || 4222) });
    d = await deployment({ natsUrl: `nats://127.0.0.1:${proxy.port}`, pollMs: POLL_MS, env: { NATS_PING_INTERVAL_MS: "300" } });
    routers = await Promise.all([d.startRouter(), d.startRouter()]);
    await d.command("/v1/organizations", { id: "acme", name: "Acme", identifiers: [{ kind: "domain", value: "acme.com" }] });
    await eventually(() => statuses(d, routers), (all) => all.every((s) => s.busConnected), 5000);
  }, 60_000);
  afterAll(async () => {
    proxy?.resume();
    await d?.close();
    await proxy?.close();
  }, 30_000);

  test("busConnected turns false, routers converge by polling, and hints resume when NATS answers again", async () => {
    proxy.blackhole();
    // Two unanswered pings at 300 ms: well under the 10 s the default (10 s pings) would need.
    await eventually(() => statuses(d, routers), (all) => all.every((s) => s.busConnected === false), 5000);
    for (const router of routers) expect(gauge((await adminGet(router, "/metrics")).text, "ssomig_bus_connected")).toBe(0);
    await eventually(async () => (await (await fetch(`${d.apiUrl}/readyz`)).json()) as { bus: { connected: boolean } }, (r) => !r.bus.connected, 5000);

    expect((await d.command("/v1/organizations/acme/migrate", { reason: "NATS is silent" })).status).toBe(200);
    await everyRouterSees(d, routers, "acme.com", "target", POLL_MS + 2000);
    expect((await statuses(d, routers)).map((s) => s.degraded)).toEqual([false, false]); // polling works: not stale

    proxy.resume();
    await eventually(() => statuses(d, routers), (all) => all.every((s) => s.busConnected), 10_000);
    await eventually(async () => (await (await fetch(`${d.apiUrl}/readyz`)).json()) as { bus: { connected: boolean } }, (r) => r.bus.connected, 10_000);
    const before = Date.now();
    await d.command("/v1/organizations/acme/rollback", { reason: "NATS answers again" });
    await everyRouterSees(d, routers, "acme.com", "legacy", POLL_MS + 2000);
    await eventually(() => statuses(d, routers), (all) => all.every((s) => Date.parse(s.lastHintAt) >= before), 3000);
  }, 60_000);

  test("a router started while NATS is silent starts, serves by polling, and connects once NATS answers", async () => {
    proxy.blackhole();
    try {
      const late = await d.startRouter();
      expect(await d.providerSeenBy(late, "acme.com")).toBe("legacy");
      expect(await d.status(late)).toMatchObject({ busConnected: false, degraded: false });
      expect((await d.command("/v1/organizations/acme/migrate", { reason: "late router" })).status).toBe(200);
      await everyRouterSees(d, [late], "acme.com", "target", POLL_MS + 2000);
      proxy.resume();
      await eventually(() => d.status(late), (s) => s.busConnected, 10_000);
      await eventually(async () => (await (await fetch(`${d.apiUrl}/readyz`)).json()) as { bus: { connected: boolean } }, (r) => r.bus.connected, 10_000);
      const before = Date.now();
      expect((await d.command("/v1/organizations/acme/rollback", { reason: "late router hears hints" })).status).toBe(200);
      await eventually(() => d.status(late), (s) => Date.parse(s.lastHintAt) >= before, 5000);
    } finally {
      proxy.resume();
    }
  }, 60_000);

  test("a bad fault setting stops a router at start with one line naming it", async () => {
    for (const name of ["DATABASE_TIMEOUT_MS", "HORIZON_MAX_AGE_MS", "NATS_PING_INTERVAL_MS"]) {
      const failed = await d.startRouter({ [name]: "soon" }).then(
        () => "started",
        (error: Error) => error.message,
      );
      expect(failed).toMatch(new RegExp(`exited with 78:\\n.*configuration error: ${name}\\b.*positive integer`));
    }
  }, 60_000);
});

describe("with a transaction holding the horizon back", () => {
  // Short: the horizon is the whole server's, so holding it also slows every other reader on it.
  const MAX_AGE_MS = 500;
  let d: Deployment;
  let router: Router;
  beforeAll(async () => {
    await natsAvailable();
    d = await deployment({ natsUrl: TEST_NATS_URL, pollMs: 200, env: { HORIZON_MAX_AGE_MS: String(MAX_AGE_MS), DATABASE_TIMEOUT_MS: "1000" } });
    router = await d.startRouter();
    await d.command("/v1/organizations", { id: "acme", name: "Acme", identifiers: [{ kind: "domain", value: "acme.com" }] });
    await everyRouterSees(d, [router], "acme.com", "legacy", 5000);
  }, 60_000);
  afterAll(() => d?.close(), 30_000);

  test("the horizon's age grows in /status, /metrics and the API's /readyz, the router degrades, and all recover when it ends", async () => {
    // Any session on the server will do; this one is the test's own, in the deployment's database.
    const holder = postgres(d.directDatabaseUrl, { max: 1, onnotice: () => {} });
    const session = await holder.reserve();
    try {
      await session`BEGIN`;
      await session`SELECT pg_current_xact_id()`; // a transaction id: from now on the horizon cannot pass it
      expect((await d.command("/v1/organizations/acme/migrate", { reason: "behind an open transaction" })).status).toBe(200);

      const stuck = await eventually(() => d.status(router), (s) => s.degraded === true, 10_000);
      expect(stuck.degradedReasons).toEqual(["horizon_stuck"]);
      expect(stuck.horizonAgeSeconds).toBeGreaterThan(MAX_AGE_MS / 1000);
      expect(await d.providerSeenBy(router, "acme.com")).toBe("legacy"); // the committed migration is invisible
      const first = stuck.horizonAgeSeconds;
      const later = await eventually(() => d.status(router), (s) => s.horizonAgeSeconds > first + 0.2, 5000);
      expect(later.degraded).toBe(true);
      expect(gauge((await adminGet(router, "/metrics")).text, "ssomig_horizon_age_seconds")).toBeGreaterThan(MAX_AGE_MS / 1000);
      expect(JSON.parse((await adminGet(router, "/readyz")).text)).toMatchObject({ status: "degraded", reasons: ["horizon_stuck"] });

      const api = (await (await fetch(`${d.apiUrl}/readyz`)).json()) as { status: string; horizon: { ageSeconds: number; pendingEvents: number; stuck: boolean } };
      expect(api.status).toBe("ready");
      expect(api.horizon.stuck).toBe(true);
      expect(api.horizon.ageSeconds).toBeGreaterThan(MAX_AGE_MS / 1000);
      expect(api.horizon.pendingEvents).toBeGreaterThanOrEqual(1);
      expect(gauge(await (await fetch(`${d.apiUrl}/metrics`)).text(), "ssomig_horizon_age_seconds")).toBeGreaterThan(MAX_AGE_MS / 1000);
    } finally {
      await session`ROLLBACK`.catch(() => {});
      session.release();
      await holder.end();
    }
    await everyRouterSees(d, [router], "acme.com", "target", 5000);
    const recovered = await eventually(() => d.status(router), (s) => s.degraded === false, 10_000);
    expect(recovered.horizonAgeSeconds).toBeLessThan(MAX_AGE_MS / 1000);
    const api = (await (await fetch(`${d.apiUrl}/readyz`)).json()) as { horizon: { stuck: boolean } };
    expect(api.horizon.stuck).toBe(false);
  }, 60_000);

  test("a command stuck behind a lock gets 503 store_unavailable when the statement times out, not a 500", async () => {
    expect((await d.command("/v1/organizations", { id: "locked", name: "Locked", identifiers: [{ kind: "domain", value: "locked.example" }] })).status).toBe(201);
    const holder = postgres(d.directDatabaseUrl, { max: 1, onnotice: () => {} });
    const session = await holder.reserve();
    try {
      await session`BEGIN`;
      expect(await session`SELECT version FROM streams WHERE stream_id = 'organization-locked' FOR UPDATE`).toHaveLength(1);
      const stuck = await d.command("/v1/organizations/locked/migrate", { reason: "behind a lock" });
      expect(stuck.status).toBe(503);
      expect(stuck.body.code).toBe("store_unavailable");
    } finally {
      await session`ROLLBACK`.catch(() => {});
      session.release();
      await holder.end();
    }
    expect((await d.command("/v1/organizations/locked/migrate", { reason: "lock released" })).status).toBe(200);
  }, 60_000);
});
