import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { eventually } from "../support/eventually.ts";
import { TEST_NATS_URL, natsAvailable } from "../support/nats.ts";
import { natsServer, tcpProxy } from "../support/processes.ts";
import { deployment, type Deployment, type Router } from "./harness.ts";

const everyRouterSees = (d: Deployment, routers: Router[], domain: string, provider: string, timeoutMs: number) =>
  eventually(() => Promise.all(routers.map((r) => d.providerSeenBy(r, domain))), (seen) => seen.every((p) => p === provider), timeoutMs);

describe("with NATS: three routers and a command API, each its own process", () => {
  // Polling is slow here on purpose: anything faster than it came from a NATS hint.
  const POLL_MS = 10_000;
  let d: Deployment;
  let routers: Router[];
  beforeAll(async () => {
    await natsAvailable();
    d = await deployment({ natsUrl: TEST_NATS_URL, pollMs: POLL_MS });
    routers = await Promise.all([d.startRouter(), d.startRouter(), d.startRouter()]);
  });
  afterAll(() => d?.close(), 30_000);

  test("a migration, then a rollback, reaches every router through hints", async () => {
    expect((await d.command("/v1/organizations", { id: "acme", name: "Acme", identifiers: [{ kind: "domain", value: "acme.com" }] })).status).toBe(201);
    await everyRouterSees(d, routers, "acme.com", "legacy", 3000);
    expect((await d.command("/v1/organizations/acme/migrate", { reason: "wave 1" })).status).toBe(200);
    await everyRouterSees(d, routers, "acme.com", "target", 3000);
    expect((await d.command("/v1/organizations/acme/rollback", { reason: "login loops" })).status).toBe(200);
    await everyRouterSees(d, routers, "acme.com", "legacy", 3000);
    for (const router of routers) {
      expect(await d.status(router)).toMatchObject({ bus: "nats", busConnected: true, behind: 0, degraded: false, lastHintAt: expect.any(String) });
    }
  });

  test("a hint that arrives while another transaction holds the horizon back lands when it passes, not at the next poll", async () => {
    await d.command("/v1/organizations", { id: "held", name: "Held", identifiers: [{ kind: "domain", value: "held.com" }] });
    await everyRouterSees(d, routers, "held.com", "legacy", 3000);
    const holder = postgres(d.directDatabaseUrl, { max: 1, onnotice: () => {} });
    const session = await holder.reserve();
    try {
      await session`BEGIN`;
      await session`SELECT pg_current_xact_id()`;
      const sent = Date.now();
      expect((await d.command("/v1/organizations/held/migrate", { reason: "behind a short transaction" })).status).toBe(200);
      await eventually(() => Promise.all(routers.map((r) => d.status(r))), (all) => all.every((s) => Date.parse(s.lastHintAt) >= sent), 3000);
      // The migration has waited a while behind the open transaction (far longer than a first quick retry).
      await eventually(async () => (await (await fetch(`${d.apiUrl}/readyz`)).json()) as { horizon: { ageSeconds: number } }, (r) => r.horizon.ageSeconds > 0.3, 3000);
      expect(await Promise.all(routers.map((r) => d.providerSeenBy(r, "held.com")))).toEqual(["legacy", "legacy", "legacy"]);
    } finally {
      await session`ROLLBACK`.catch(() => {});
      session.release();
      await holder.end();
    }
    await everyRouterSees(d, routers, "held.com", "target", 2000); // the poll is 10 s away
  });

  test("a router started after ten migrations starts with all of them", async () => {
    for (let i = 0; i < 10; i++) {
      await d.command("/v1/organizations", { id: `late-${i}`, name: `Late ${i}`, identifiers: [{ kind: "domain", value: `late-${i}.com` }] });
      await d.command(`/v1/organizations/late-${i}/migrate`, { reason: "batch" });
    }
    const late = await d.startRouter();
    for (let i = 0; i < 10; i++) expect(await d.providerSeenBy(late, `late-${i}.com`)).toBe("target");
    expect((await d.status(late)).organizations).toBeGreaterThanOrEqual(11);
  });

  test("a router that misses every hint catches up by polling", async () => {
    const deaf = await d.startRouter({ SSOMIG_NATS_PREFIX: "nobody-publishes-here", ROUTE_POLL_MS: "300" });
    await d.command("/v1/organizations", { id: "deaf", name: "Deaf", identifiers: [{ kind: "domain", value: "deaf.com" }] });
    await d.command("/v1/organizations/deaf/migrate", { reason: "r" });
    await everyRouterSees(d, [deaf], "deaf.com", "target", 3000);
    expect(await d.status(deaf)).toMatchObject({ lastHintAt: null, lastPollAt: expect.any(String) });
  });
});

describe("with NATS stopped and restarted", () => {
  const POLL_MS = 500;
  let nats: Awaited<ReturnType<typeof natsServer>>;
  let d: Deployment;
  let routers: Router[];
  beforeAll(async () => {
    nats = await natsServer();
    d = await deployment({ natsUrl: nats.url, pollMs: POLL_MS });
    routers = await Promise.all([d.startRouter(), d.startRouter(), d.startRouter()]);
    await d.command("/v1/organizations", { id: "acme", name: "Acme", identifiers: [{ kind: "domain", value: "acme.com" }] });
  });
  afterAll(async () => {
    await d?.close();
    await nats?.stop();
  }, 30_000);

  test("routers converge within the poll interval while NATS is down, and hints resume when it returns", async () => {
    await nats.stop();
    await eventually(() => Promise.all(routers.map((r) => d.status(r))), (all) => all.every((s) => !s.busConnected), 5000);
    const migrated = await d.command("/v1/organizations/acme/migrate", { reason: "NATS is down" });
    expect(migrated.status).toBe(200);
    const started = performance.now();
    await everyRouterSees(d, routers, "acme.com", "target", POLL_MS + 1500);
    expect(performance.now() - started).toBeLessThan(POLL_MS + 1500);

    await nats.start();
    await eventually(() => Promise.all(routers.map((r) => d.status(r))), (all) => all.every((s) => s.busConnected), 10_000);
    await eventually(async () => (await (await fetch(`${d.apiUrl}/readyz`)).json()) as { bus: { connected: boolean } }, (r) => r.bus.connected, 10_000);
    const before = Date.now();
    await d.command("/v1/organizations/acme/rollback", { reason: "NATS is back" });
    await everyRouterSees(d, routers, "acme.com", "legacy", POLL_MS + 1500);
    const hintTimes = (await Promise.all(routers.map((r) => d.status(r)))).map((s) => Date.parse(s.lastHintAt));
    expect(hintTimes.every((t) => t >= before)).toBe(true);
  });
});

describe("with PostgreSQL unreachable", () => {
  let proxy: Awaited<ReturnType<typeof tcpProxy>>;
  let d: Deployment;
  let routers: Router[];
  beforeAll(async () => {
    await natsAvailable();
    proxy = await tcpProxy({ host: "127.0.0.1", port: 5432 });
    d = await deployment({ natsUrl: TEST_NATS_URL, pollMs: 200, databaseUrl: (db) => db.url.replace(":5432/", `:${proxy.port}/`) });
    routers = await Promise.all([d.startRouter(), d.startRouter()]);
    await d.command("/v1/organizations", { id: "acme", name: "Acme", identifiers: [{ kind: "domain", value: "acme.com" }] });
    await d.command("/v1/organizations/acme/migrate", { reason: "before the outage" });
    await everyRouterSees(d, routers, "acme.com", "target", 3000);
  });
  afterAll(async () => {
    await proxy?.open();
    await d?.close();
    await proxy?.close();
  }, 30_000);

  test("routers keep routing from memory with zero failed requests; the API answers 503 and recovers", async () => {
    await proxy.close();
    await eventually(() => Promise.all(routers.map((r) => d.status(r))), (all) => all.every((s) => s.degraded === true), 5000);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => d.providerSeenBy(routers[i % routers.length]!, "acme.com")));
    expect(answers.filter((p) => p !== "target")).toEqual([]);
    for (const router of routers) expect((await fetch(`http://127.0.0.1:${router.admin}/readyz`)).status).toBe(200);

    const refused = await d.command("/v1/organizations/acme/rollback", { reason: "during the outage" });
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe("store_unavailable");

    await proxy.open();
    const recovered = await eventually(() => d.command("/v1/organizations/acme/rollback", { reason: "after the outage" }), (r) => r.status !== 503, 10_000);
    expect(recovered.status).toBe(200);
    await everyRouterSees(d, routers, "acme.com", "legacy", 3000);
    await eventually(() => Promise.all(routers.map((r) => d.status(r))), (all) => all.every((s) => s.degraded === false), 5000);
  });
});
