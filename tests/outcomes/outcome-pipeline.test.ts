import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseConfig } from "../../shared/config.ts";
import { openEventStore, type EventStore } from "../../db/event-store.ts";
import { outcomeStore } from "../../db/outcome-store.ts";
import { unmatchedStore } from "../../db/unmatched-store.ts";
import { unmatchedRecord } from "../../services/router/unmatched-record.ts";
import { unmatchedObserver } from "../../services/router/observe-unmatched.ts";
import { routeSource } from "../../db/route-source.ts";
import type { Database } from "../../db/sql.ts";
import { natsBus } from "../../services/bus/nats-bus.ts";
import type { Bus } from "../../services/bus/bus.ts";
import { createCommandsApp } from "../../services/commands/app.ts";
import { createTokenVerifier } from "../../services/commands/auth.ts";
import { mintToken } from "../../services/commands/tokens.ts";
import { storeOutcomes } from "../../services/commands/store-outcomes.ts";
import { silentLog } from "../../services/http/log.ts";
import { createRouterApp } from "../../services/router/app.ts";
import { flushOutcomes } from "../../services/router/flush-outcomes.ts";
import { mergedJwks } from "../../services/router/merged-jwks.ts";
import { routerMetrics } from "../../services/router/metrics.ts";
import { outcomeObserver } from "../../services/router/observe-outcome.ts";
import { outcomeRecorder } from "../../services/router/outcome-recorder.ts";
import { pinCookies } from "../../services/router/pin-cookie.ts";
import { RouteTable } from "../../services/router/route-table.ts";
import { eventually } from "../support/eventually.ts";
import { natsAvailable, TEST_NATS_URL } from "../support/nats.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { migrate, register, run } from "../support/commands.ts";
import { PROVIDERS } from "../support/commands.ts";
import { randomSecret } from "../support/secrets.ts";
import { outcomesFlowing } from "./ready.ts";

const PUBLIC = "https://auth.example.com";
const APP = "https://app.acme-saas.com/callback";
const SECRET = randomSecret("api");

// Real PostgreSQL and real NATS: a router's flush crosses NATS, the command service adds it to
// the outcome table, and the health endpoints read it back.
describe("login outcomes from router to health endpoint (PostgreSQL + NATS)", () => {
  let testDb: TestDatabase;
  let db: Database;
  let store: EventStore;
  const buses: Bus[] = [];
  const stops: (() => unknown)[] = [];

  beforeAll(async () => {
    await natsAvailable();
    testDb = await createTestDatabase();
    db = testDb.open();
    store = await openEventStore(db);
  });
  afterAll(async () => {
    for (const stop of stops) await stop();
    await Promise.all(buses.map((b) => b.close()));
    await testDb?.drop();
  });

  test("started, succeeded, failed by code and abandoned, per provider, split at the migration; the fleet lists the worst first", async () => {
    const prefix = `ssomig-test-${crypto.randomUUID().slice(0, 8)}`;
    const routerBus = natsBus({ url: TEST_NATS_URL, prefix, name: "router" });
    const apiBus = natsBus({ url: TEST_NATS_URL, prefix, name: "api" });
    buses.push(routerBus, apiBus);
    await eventually(async () => routerBus.connected() && apiBus.connected(), Boolean);

    // The command service side.
    const outcomes = outcomeStore(db);
    stops.push(storeOutcomes({ bus: apiBus, outcomes, log: silentLog, retentionDays: 30 }));
    await outcomesFlowing(routerBus, outcomes);
    const api = createCommandsApp({ store, providers: PROVIDERS, verifyToken: await createTokenVerifier({ secret: SECRET }), log: silentLog, outcomes });
    const token = await mintToken(SECRET, { subject: "ops@example.com", scopes: ["migrations:read"], ttlSeconds: 300 });
    const get = async (path: string) => {
      const response = await api.request(path, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: (await response.json()) as any };
    };

    // The router side, over the real projection, with a clock the test moves.
    await run(store, register("acme", [{ kind: "domain", value: "acme.com" }]));
    await run(store, register("globex", [{ kind: "domain", value: "globex.com" }]));
    const config = parseConfig({ publicUrl: PUBLIC, providers: [{ id: "legacy", role: "legacy", origin: "http://127.0.0.1:1" }, { id: "target", role: "target", origin: "http://127.0.0.1:2" }] });
    const routes = new RouteTable(routeSource(db));
    await routes.load();
    await eventually(async () => (await routes.refresh(), routes.providerOf("globex")), (p) => p === "legacy", 10_000);
    let now = Date.now() - 20 * 60_000;
    let targetAnswer = () => new Response(null, { status: 302, headers: { location: `${APP}?error=access_denied&error_description=nope` } });
    const recorder = outcomeRecorder();
    const metrics = routerMetrics();
    const app = createRouterApp({
      config,
      routes,
      forward: async (provider, request) =>
        request.target.startsWith("/authorize") ? new Response(null, { status: 302, headers: { location: "https://idp.example.net/sso" } })
        : provider.id === "target" ? targetAnswer()
        : new Response(null, { status: 302, headers: { location: `${APP}?code=ok` } }),
      pins: pinCookies(randomSecret("pin"), { providers: ["legacy", "target"], now: () => Math.floor(now / 1000) }),
      jwks: mergedJwks([], async () => new Response("{}")),
      metrics,
      log: () => {},
      accessLog: false,
      outcomes: outcomeObserver({ recorder, metrics, publicOrigin: PUBLIC, now: () => now }),
    });
    const flusher = flushOutcomes({ router: "router-1", recorder, bus: routerBus, intervalMs: 60_000, log: silentLog });
    stops.push(() => flusher.stop());
    async function login(domain: string, finish = true) {
      const start = await app.request(`${PUBLIC}/authorize?client_id=app&login_hint=jane@${domain}`);
      const cookie = start.headers.get("set-cookie")!.split(";")[0]!;
      if (finish) await (await app.request(`${PUBLIC}/callback?code=x`, { headers: { cookie } })).arrayBuffer();
    }

    // 20 minutes ago, on legacy: 4 of acme's logins succeed and 1 is abandoned; globex's one succeeds.
    for (let i = 0; i < 4; i++) await login("acme.com");
    await login("acme.com", false);
    await login("globex.com");
    await flusher.flush();
    await run(store, migrate("acme"));
    // The route table reads below the transaction-visibility horizon, which other sessions can hold back.
    await eventually(async () => (await routes.refresh(), routes.providerOf("acme")), (p) => p === "target", 10_000);
    now = Date.now();
    // Now, on target: 3 of 3 fail.
    for (let i = 0; i < 3; i++) await login("acme.com");
    await flusher.flush();

    const since = new Date(Date.now() - 3600_000).toISOString();
    // Flow ends are counted once their pin is verified, just after the answer: flush until all are in.
    const health = await eventually(
      async () => (await flusher.flush(), get(`/v1/organizations/acme/health?since=${since}`)),
      (h) => h.status === 200 && h.body.providers.find((p: any) => p.provider === "target")?.failed === 3 && h.body.providers.find((p: any) => p.provider === "legacy")?.succeeded === 4,
      10_000,
    );
    const legacy = health.body.providers.find((p: any) => p.provider === "legacy");
    const target = health.body.providers.find((p: any) => p.provider === "target");
    expect(health.body.provider).toBe("target");
    expect(legacy).toMatchObject({ started: 5, succeeded: 4, failed: 0, abandoned: 1, inFlight: 0, successRate: 0.8 });
    expect(target).toMatchObject({ started: 3, succeeded: 0, failed: 3, failedByCode: { access_denied: 3 }, abandoned: 0, successRate: 0 });
    expect(health.body.lastFailures[0]).toMatchObject({ code: "access_denied", provider: "target", count: 3 });
    expect(health.body.lastMigration.from).toBe("legacy");
    expect(health.body.lastMigration.before.map((p: any) => [p.provider, p.succeeded, p.failed])).toEqual([["legacy", 4, 0]]);
    expect(health.body.lastMigration.after.map((p: any) => [p.provider, p.succeeded, p.failed])).toEqual([["target", 0, 3]]);
    expect(JSON.stringify(health.body)).not.toContain("nope");

    const fleet = await get(`/v1/health?since=${since}`);
    expect(fleet.status).toBe(200);
    expect(fleet.body.organizations.map((o: any) => o.organizationId)).toEqual(["acme", "globex"]);
    expect(fleet.body.providers.find((p: any) => p.provider === "target")).toMatchObject({ organizations: 1, failed: 3 });
    expect(fleet.body.providers.find((p: any) => p.provider === "legacy")).toMatchObject({ organizations: 1, succeeded: 5 });

    // Stored rows are counts only: no code, token or description anywhere in the table.
    const stored = JSON.stringify(await db.query("SELECT * FROM login_outcomes"));
    expect(stored).not.toContain("nope");
    expect(stored).not.toContain("code=");
  });

  test("unmatched identifiers reach GET /v1/unmatched, most frequent first, and linking one clears it", async () => {
    const prefix = `ssomig-test-${crypto.randomUUID().slice(0, 8)}`;
    const routerBus = natsBus({ url: TEST_NATS_URL, prefix, name: "router" });
    const apiBus = natsBus({ url: TEST_NATS_URL, prefix, name: "api" });
    buses.push(routerBus, apiBus);
    await eventually(async () => routerBus.connected() && apiBus.connected(), Boolean);
    const unmatched = unmatchedStore(db);
    stops.push(storeOutcomes({ bus: apiBus, outcomes: outcomeStore(db), unmatched, log: silentLog, retentionDays: 30 }));
    await outcomesFlowing(routerBus, outcomeStore(db));
    const api = createCommandsApp({ store, providers: PROVIDERS, verifyToken: await createTokenVerifier({ secret: SECRET }), log: silentLog, unmatched });
    const token = await mintToken(SECRET, { subject: "ops@example.com", scopes: ["migrations:read", "migrations:write"], ttlSeconds: 300 });
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await api.request(path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: response.status, body: (await response.json()) as any };
    };

    const config = parseConfig({ publicUrl: PUBLIC, providers: [{ id: "legacy", role: "legacy", origin: "http://127.0.0.1:1" }, { id: "target", role: "target", origin: "http://127.0.0.1:2" }] });
    const routes = new RouteTable(routeSource(db));
    await routes.load();
    const record = unmatchedRecord();
    const app = createRouterApp({
      config, routes, forward: async () => new Response("ok"), pins: pinCookies(randomSecret("pin"), { providers: ["legacy", "target"] }),
      jwks: mergedJwks([], async () => new Response("{}")), metrics: routerMetrics(), log: () => {}, accessLog: false, unmatched: unmatchedObserver(record),
    });
    const flusher = flushOutcomes({ router: "router-2", recorder: outcomeRecorder(), unmatched: record, bus: routerBus, intervalMs: 60_000, log: silentLog });
    stops.push(() => flusher.stop());
    for (let i = 0; i < 3; i++) await app.request(`${PUBLIC}/authorize?login_hint=bob@initech.example`);
    await app.request(`${PUBLIC}/authorize?domain=hooli.example`);
    await flusher.flush();

    const listed = await eventually(() => call("GET", "/v1/unmatched?kind=domain"), (r) => r.body.unmatched?.length === 2, 10_000);
    expect(listed.body.unmatched.map((u: any) => [u.value, u.count, u.requestKind, u.provider])).toEqual([["initech.example", 3, "authorize", "legacy"], ["hooli.example", 1, "authorize", "legacy"]]);
    expect(listed.body.unmatched[0].link).toEqual({ kind: "domain", value: "initech.example" });

    await run(store, register("initech"));
    expect((await call("POST", "/v1/organizations/initech/identifiers", listed.body.unmatched[0].link)).status).toBe(201);
    const after = await call("GET", "/v1/unmatched?kind=domain");
    expect(after.body.unmatched.map((u: any) => u.value)).toEqual(["hooli.example"]);
    expect((await call("GET", "/v1/unmatched?kind=email")).status).toBe(400);
  });

  test("the stored list stays bounded per kind: the least seen go first", async () => {
    const unmatched = unmatchedStore(db, { keptPerKind: 5 });
    const row = (value: string, count: number) => ({ kind: "connection" as const, value, requestKind: "authorize", provider: "legacy", count, firstSeen: 1000, lastSeen: 2000 });
    await unmatched.record([row("frequent", 50), ...Array.from({ length: 20 }, (_, i) => row(`noise-${i}`, 1))]);
    await unmatched.record(Array.from({ length: 20 }, (_, i) => row(`more-noise-${i}`, 1)));
    const kept = await unmatched.list({ kind: "connection", limit: 100 });
    expect(kept.length).toBe(5);
    expect(kept[0]).toMatchObject({ value: "frequent", count: 50 });
  });

  test("an unknown organization's health is 404 with a stable code, and since must be a time", async () => {
    const api = createCommandsApp({ store, providers: PROVIDERS, verifyToken: await createTokenVerifier({ secret: SECRET }), log: silentLog, outcomes: outcomeStore(db) });
    const token = await mintToken(SECRET, { subject: "ops@example.com", scopes: ["migrations:read"], ttlSeconds: 300 });
    const missing = await api.request("/v1/organizations/nobody/health", { headers: { authorization: `Bearer ${token}` } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe("organization_not_found");
    const bad = await api.request("/v1/health?since=yesterday", { headers: { authorization: `Bearer ${token}` } });
    expect(bad.status).toBe(400);
  });

  test("flushes add up: counts and duration histograms from two routers merge in one row", async () => {
    const outcomes = outcomeStore(db);
    const minute = Math.floor(Date.now() / 60_000);
    const histogram = (i: number) => Array.from({ length: 13 }, (_, j) => (j === i ? 1 : 0));
    const row = (durations: number[]) => ({ organizationId: "merge-org", provider: "target", minute, outcome: "succeeded" as const, code: "", count: 1, durations });
    await outcomes.record([row(histogram(0)), row(histogram(2))]);
    await outcomes.record([row(histogram(2))]);
    const [stored] = await outcomes.read({ organizationId: "merge-org", sinceMinute: minute });
    expect(stored!.count).toBe(3);
    expect(stored!.durations).toEqual([1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test("retention deletes minutes older than the setting", async () => {
    const outcomes = outcomeStore(db);
    const old = Math.floor((Date.now() - 40 * 24 * 3600_000) / 60_000);
    await outcomes.record([{ organizationId: "old-org", provider: "legacy", minute: old, outcome: "started", code: "", count: 2, durations: null }]);
    expect((await outcomes.read({ organizationId: "old-org", sinceMinute: 0 })).length).toBe(1);
    expect(await outcomes.expire(30)).toBeGreaterThanOrEqual(1);
    expect((await outcomes.read({ organizationId: "old-org", sinceMinute: 0 })).length).toBe(0);
  });
});
