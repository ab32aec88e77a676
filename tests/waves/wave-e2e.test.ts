import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openEventStore, type EventStore } from "../../db/event-store.ts";
import { openPostgres } from "../../db/postgres.ts";
import type { Database } from "../../db/sql.ts";
import { natsBus } from "../../services/bus/nats-bus.ts";
import type { Bus } from "../../services/bus/bus.ts";
import { rollbacksInLog } from "../../services/waves/batch-health.ts";
import { runWave, type WaveRunnerDeps } from "../../services/waves/wave-runner.ts";
import { eventually } from "../support/eventually.ts";
import { TEST_NATS_URL, natsAvailable } from "../support/nats.ts";
import { deployment, type Deployment, type Router } from "../propagation/harness.ts";

/**
 * A wave of 20 organizations in batches of 5 over the real stack: PostgreSQL, NATS, the command
 * API and two routers, each its own process. The runner runs here, on an injected clock, holding
 * the runner lease so the API's own runner stays out of the way. Here an operator's rollback of
 * one organization stands in for the guard's (the guard rolling back a wave's organization from
 * login outcomes is tested in wave-guard.test.ts, and end to end in tests/e2e/guard.test.ts);
 * the batch's soak sees it either way.
 */
describe("a wave over the real stack", () => {
  let d: Deployment;
  let routers: Router[];
  let db: Database;
  let store: EventStore;
  let bus: Bus;
  beforeAll(async () => {
    await natsAvailable();
    // Polling is slow on purpose: routers learn each batch from the runner's NATS hints.
    d = await deployment({ natsUrl: TEST_NATS_URL, pollMs: 10_000 });
    routers = await Promise.all([d.startRouter(), d.startRouter()]);
    db = openPostgres(d.directDatabaseUrl, { max: 4 });
    store = await openEventStore(db);
    bus = natsBus({ url: TEST_NATS_URL, prefix: d.natsPrefix, name: "wave-e2e" });
  }, 60_000);
  afterAll(async () => {
    await bus?.close();
    await db?.close();
    await d?.close();
  }, 30_000);

  const routedBy = (router: Router, org: string) => d.providerSeenBy(router, `${org}.example.com`);
  const everyRouterRoutes = (orgs: string[], expected: (org: string) => string) =>
    eventually(
      () => Promise.all(routers.flatMap((r) => orgs.map(async (o) => (await routedBy(r, o)) === expected(o)))),
      (ok) => ok.every(Boolean),
      5_000,
    );

  test("batches of 5 move, a rollback pauses the wave after its batch, resume finishes it, routers follow the log", async () => {
    expect(await store.acquireLease("wave-runner", "wave-e2e", 600_000)).toBe(true);
    const orgs = Array.from({ length: 20 }, (_, i) => `e2e-${String(i).padStart(2, "0")}`);
    for (const id of orgs) {
      expect((await d.command("/v1/organizations", { id, name: id, identifiers: [{ kind: "domain", value: `${id}.example.com` }], tags: ["wave:e2e"] })).status).toBe(201);
    }
    const planned = await d.command("/v1/waves", { name: "E2E", selector: { tags: ["wave:e2e"] }, batchSize: 5, soakMinutes: 30 });
    expect(planned.status).toBe(201);
    const waveId: string = planned.body.id;

    let now = Date.now();
    const deps: WaveRunnerDeps = {
      store,
      providers: { ids: ["legacy", "target"], defaultProvider: "legacy", defaultTarget: "target" },
      health: rollbacksInLog(store),
      clock: () => new Date(now),
      onAppended: (change) => void bus.publish({ orgId: change.organizationId, position: change.position }).catch(() => undefined),
    };
    expect(await runWave(deps, waveId)).toEqual(["batch-started", "migrated", "migrated", "migrated", "migrated", "migrated", "idle"]);
    await everyRouterRoutes(orgs, (o) => (orgs.indexOf(o) < 5 ? "target" : "legacy"));

    // Logins of e2e-03 fail on the target: it is rolled back; the batch's soak sees it and the wave pauses.
    expect((await d.command("/v1/organizations/e2e-03/rollback", { reason: "logins fail on the target" })).status).toBe(200);
    now += 30 * 60_000;
    expect(await runWave(deps, waveId)).toEqual(["soak-finished", "idle"]);
    const paused = await d.get(`/v1/waves/${waveId}`);
    expect(paused.body).toMatchObject({ status: "paused", batches: { done: 1 }, pauses: [{ by: "guard", reason: "1 organization(s) of the batch rolled back: e2e-03" }] });
    now += 60 * 60_000;
    expect(await runWave(deps, waveId)).toEqual(["idle"]);

    expect((await d.command(`/v1/waves/${waveId}/resume`, { reason: "e2e-03 stays on legacy for now" })).status).toBe(200);
    for (let batch = 2; batch <= 4; batch++) {
      await runWave(deps, waveId);
      now += 30 * 60_000;
    }
    expect(await runWave(deps, waveId)).toEqual(["completed"]);
    const done = await d.get(`/v1/waves/${waveId}`);
    expect(done.body).toMatchObject({ status: "completed", organizations: { total: 20, onTarget: 19, notOnTarget: 1 } });

    // Every router routes every organization where the log says.
    const log = new Map(await Promise.all(orgs.map(async (o) => [o, (await d.get(`/v1/organizations/${o}`)).body.provider as string] as const)));
    expect([...log.values()].filter((p) => p === "legacy")).toHaveLength(1);
    await everyRouterRoutes(orgs, (o) => log.get(o)!);
    await store.releaseLease("wave-runner", "wave-e2e");
  }, 120_000);
});
