import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseConfig } from "../../shared/config.ts";
import { DEFAULT_GUARD_POLICY } from "../../shared/guard-policy.ts";
import { openEventStore, type EventStore } from "../../db/event-store.ts";
import { outcomeStore } from "../../db/outcome-store.ts";
import { routeSource } from "../../db/route-source.ts";
import type { Database } from "../../db/sql.ts";
import { natsBus } from "../../services/bus/nats-bus.ts";
import type { Bus } from "../../services/bus/bus.ts";
import { startGuard, type Guard } from "../../services/commands/guard.ts";
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
import { migrate, PROVIDERS, register, run } from "../support/commands.ts";
import { randomSecret } from "../support/secrets.ts";
import { outcomesFlowing } from "./ready.ts";

const PUBLIC = "https://auth.example.com";
const APP = "https://app.acme-saas.com/callback";

// Real PostgreSQL and NATS: logins through the router fail on the target, the counts reach the
// outcome table over NATS, and the guard rolls the organization back by itself.
describe("the guard (PostgreSQL + NATS)", () => {
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

  /** A router whose target rejects the organizations in `broken`, flushing over NATS into the outcome table. */
  async function world() {
    const prefix = `ssomig-test-${crypto.randomUUID().slice(0, 8)}`;
    const routerBus = natsBus({ url: TEST_NATS_URL, prefix, name: "router" });
    const apiBus = natsBus({ url: TEST_NATS_URL, prefix, name: "api" });
    buses.push(routerBus, apiBus);
    await eventually(async () => routerBus.connected() && apiBus.connected(), Boolean);
    const outcomes = outcomeStore(db);
    stops.push(storeOutcomes({ bus: apiBus, outcomes, log: silentLog, retentionDays: 30 }));
    await outcomesFlowing(routerBus, outcomes);
    const config = parseConfig({ publicUrl: PUBLIC, providers: [{ id: "legacy", role: "legacy", origin: "http://127.0.0.1:1" }, { id: "target", role: "target", origin: "http://127.0.0.1:2" }] });
    const routes = new RouteTable(routeSource(db));
    await routes.load();
    const broken = new Set<string>();
    const recorder = outcomeRecorder();
    const metrics = routerMetrics();
    const app = createRouterApp({
      config,
      routes,
      forward: async (provider, request) => {
        if (request.target.startsWith("/authorize")) return new Response(null, { status: 302, headers: { location: "https://idp.example.net/sso" } });
        const org = new URLSearchParams(request.target.split("?")[1]).get("org")!;
        const fails = provider.id === "target" && broken.has(org);
        return new Response(null, { status: 302, headers: { location: fails ? `${APP}?error=access_denied` : `${APP}?code=ok` } });
      },
      pins: pinCookies(randomSecret("pin"), { providers: ["legacy", "target"] }),
      jwks: mergedJwks([], async () => new Response("{}")),
      metrics,
      log: () => {},
      accessLog: false,
      outcomes: outcomeObserver({ recorder, metrics, publicOrigin: PUBLIC }),
    });
    const flusher = flushOutcomes({ router: "r", recorder, bus: routerBus, intervalMs: 60_000, log: silentLog });
    stops.push(() => flusher.stop());
    /** One login; answers which provider the callback went to and how it ended. */
    async function login(org: string) {
      const start = await app.request(`${PUBLIC}/authorize?client_id=app&login_hint=jane@${org}.example`);
      const cookie = start.headers.get("set-cookie")!.split(";")[0]!;
      const end = await app.request(`${PUBLIC}/callback?code=x&org=${org}`, { headers: { cookie } });
      return end.headers.get("location")!.includes("code=") ? "succeeded" : "failed";
    }
    /** Flushes and waits until the table has `n` ended flows for the organization. */
    async function delivered(org: string, n: number) {
      // A flow's end is counted once its pin is verified, just after the answer: flush until all of them are in.
      await eventually(async () => (await flusher.flush(), outcomes.read({ organizationId: org, sinceMinute: 0 })), (rows) => rows.filter((r) => r.outcome !== "started").reduce((t, r) => t + r.count, 0) >= n, 10_000);
    }
    const guard = (policy = DEFAULT_GUARD_POLICY): Guard => {
      const g = startGuard({ db, store, outcomes, providers: PROVIDERS, policy, intervalMs: 3600_000, log: silentLog });
      stops.push(() => g.stop());
      return g;
    };
    /** The route table reads below the transaction-visibility horizon, which other sessions on the server can hold back. */
    const routedTo = (org: string, provider: string) => eventually(async () => (await routes.refresh(), routes.providerOf(org)), (p) => p === provider, 10_000);
    return { routes, routedTo, broken, login, delivered, guard };
  }

  test("rolls back an organization whose logins fail on the target, with the numbers as reason, once; the next login succeeds on legacy", async () => {
    const w = await world();
    await run(store, register("acme", [{ kind: "domain", value: "acme.example" }]));
    await w.routedTo("acme", "legacy");
    for (let i = 0; i < 10; i++) expect(await w.login("acme")).toBe("succeeded");
    await run(store, migrate("acme"));
    await w.routedTo("acme", "target");
    w.broken.add("acme");
    for (let i = 0; i < 6; i++) expect(await w.login("acme")).toBe("failed");
    await w.delivered("acme", 16);

    const guard = w.guard();
    const actions = await guard.tick();
    expect(actions.map((a) => [a.organizationId, a.reason])).toEqual([["acme", "guard: 6 of 6 logins failed on target in 1 min; 0 of 10 before on legacy"]]);
    const last = (await store.readStream("organization-acme")).at(-1)!;
    expect(last).toMatchObject({ type: "OrganizationRolledBack", data: { from: "target", to: "legacy" }, metadata: { actor: "guard" } });
    expect(last.metadata.reason).toContain("6 of 6 logins failed");

    // At most once: the migration is no longer the last event.
    expect(await guard.tick()).toEqual([]);
    await w.routedTo("acme", "legacy");
    expect(await w.login("acme")).toBe("succeeded");
  });

  test("leaves a healthy migration alone", async () => {
    const w = await world();
    await run(store, register("globex", [{ kind: "domain", value: "globex.example" }]));
    await run(store, migrate("globex"));
    await w.routedTo("globex", "target");
    for (let i = 0; i < 8; i++) expect(await w.login("globex")).toBe("succeeded");
    await w.delivered("globex", 8);
    expect(await w.guard().tick()).toEqual([]);
    expect((await store.readStream("organization-globex")).at(-1)!.type).toBe("OrganizationMigrated");
  });

  test("never acts on a migration made with guard: false, on an organization whose guard is off, nor on one an operator changed since", async () => {
    const w = await world();
    await run(store, register("stark", [{ kind: "domain", value: "stark.example" }]));
    await run(store, { type: "SetGuard", organizationId: "stark", enabled: false });
    await run(store, migrate("stark"));
    await w.routedTo("stark", "target");
    w.broken.add("stark");
    for (let i = 0; i < 6; i++) expect(await w.login("stark")).toBe("failed");
    await w.delivered("stark", 6);
    await run(store, register("initech", [{ kind: "domain", value: "initech.example" }]));
    await run(store, { type: "MigrateOrganization", organizationId: "initech", reason: "moving", guard: false });
    await run(store, register("hooli", [{ kind: "domain", value: "hooli.example" }]));
    await run(store, migrate("hooli"));
    await run(store, { type: "LinkIdentifier", organizationId: "hooli", identifier: { kind: "domain", value: "hooli2.example" } });
    await w.routedTo("initech", "target");
    await w.routedTo("hooli", "target");
    w.broken.add("initech");
    w.broken.add("hooli");
    for (let i = 0; i < 6; i++) {
      expect(await w.login("initech")).toBe("failed");
      expect(await w.login("hooli")).toBe("failed");
    }
    await w.delivered("initech", 6);
    await w.delivered("hooli", 6);
    expect(await w.guard().tick()).toEqual([]);
  });

  test("two command services ticking at once roll back once (advisory lock, and the expected version)", async () => {
    const w = await world();
    await run(store, register("umbrella", [{ kind: "domain", value: "umbrella.example" }]));
    await run(store, migrate("umbrella"));
    await w.routedTo("umbrella", "target");
    w.broken.add("umbrella");
    for (let i = 0; i < 6; i++) await w.login("umbrella");
    await w.delivered("umbrella", 6);
    const [a, b] = await Promise.all([w.guard().tick(), w.guard().tick()]);
    expect([...a, ...b].filter((x) => x.organizationId === "umbrella").length).toBe(1);
    expect((await store.readStream("organization-umbrella")).filter((e) => e.type === "OrganizationRolledBack").length).toBe(1);
  });
});
