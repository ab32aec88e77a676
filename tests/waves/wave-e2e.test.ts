import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as oidc from "openid-client";
import { streamIdOf } from "../../shared/events.ts";
import { openEventStore, type EventStore } from "../../db/event-store.ts";
import { outcomeStore } from "../../db/outcome-store.ts";
import { openPostgres } from "../../db/postgres.ts";
import type { Database } from "../../db/sql.ts";
import { natsBus } from "../../services/bus/nats-bus.ts";
import type { Bus } from "../../services/bus/bus.ts";
import { batchHealth } from "../../services/waves/batch-health.ts";
import { runWave, stepWave, type WaveRunnerDeps } from "../../services/waves/wave-runner.ts";
import { eventually } from "../support/eventually.ts";
import { TEST_NATS_URL, natsAvailable } from "../support/nats.ts";
import { freePort } from "../support/processes.ts";
import { Browser, type Dialer } from "../e2e/support/browser.ts";
import { APP, balancedFetch, OidcLogin } from "../e2e/support/oidc-world.ts";
import { startOidcPair, type OidcPair } from "../e2e/support/oidc-pair.ts";
import { deployment, type Deployment, type Router } from "../propagation/harness.ts";

const ORGS = Array.from({ length: 20 }, (_, i) => `e2e-${String(i).padStart(2, "0")}`);
/** The organization whose connection is missing on the target: its logins there fail. */
const FAILING = "e2e-03";
const domainOf = (org: string) => `${org}.example.com`;

/**
 * A wave of 20 organizations in batches of 5 over the real stack: PostgreSQL, NATS, the command
 * API (with its guard) and two routers, each its own process, in front of two real OpenID
 * providers (node-oidc-provider). The legacy accepts everyone; the target refuses FAILING's
 * logins (a thin front answers its authorize requests with an OAuth error redirect, as a
 * missing connection does). Logins are whole authorization-code flows through the routers; the
 * routers count their outcomes and ship them over NATS to the API, whose guard rolls FAILING
 * back by itself. The wave runner runs here, on an injected clock (the soak passes without
 * waiting), holding the runner lease (taken before the API starts) so the API's own runner stays
 * out of the way.
 */
describe("a wave over the real stack, guarded by real logins", () => {
  let d: Deployment;
  let routers: Router[];
  let db: Database;
  let store: EventStore;
  let bus: Bus;
  let pair: OidcPair | undefined;
  let publicUrl: string;
  const relyingParties: oidc.Configuration[] = [];

  beforeAll(async () => {
    await natsAvailable();
    const publicPort = await freePort();
    publicUrl = `http://127.0.0.1:${publicPort}`;
    pair = await startOidcPair({ publicUrl, refuses: (hint) => hint.endsWith(`@${domainOf(FAILING)}`) });
    const { legacy } = pair;
    d = await deployment({
      natsUrl: TEST_NATS_URL,
      // Polling is slow on purpose: routers learn each change from NATS hints (the runner's, the guard's).
      pollMs: 10_000,
      // The guard acts on three failed logins and looks often; routers ship their counts often.
      env: { GUARD_INTERVAL_MS: "200", GUARD_MIN_FAILURES: "3", OUTCOME_FLUSH_MS: "100" },
      // The runner here holds the runner lease before the API starts, so the API's own runner never drives the wave.
      beforeStart: async (url) => {
        db = openPostgres(url, { max: 4 });
        store = await openEventStore(db);
        expect(await store.acquireLease("wave-runner", "wave-e2e", 600_000)).toBe(true);
      },
      providers: {
        publicUrl,
        list: [
          { id: "legacy", role: "legacy", origin: legacy.origin, jwksPath: "/jwks", timeoutMs: 5000 },
          { id: "target", role: "target", origin: pair.targetOrigin, jwksPath: "/jwks", timeoutMs: 5000 },
        ],
      },
    });
    // Router 0 listens on the public URL's port; router 1 is reached as a load balancer would, with the public Host.
    routers = [await d.startRouter({ ROUTER_PORT: String(publicPort) }), await d.startRouter()];
    for (let i = 0; i < routers.length; i++) {
      relyingParties.push(await oidc.discovery(new URL(publicUrl), APP.id, APP.secret, undefined, { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: balancedFetch(through(i)) }));
    }
    bus = natsBus({ url: TEST_NATS_URL, prefix: d.natsPrefix, name: "wave-e2e" });
  }, 90_000);
  afterAll(async () => {
    await bus?.close();
    await db?.close();
    await d?.close();
    await pair?.close();
  }, 30_000);

  /** A load balancer that sends the public origin's requests to router `i`. */
  const through =
    (i: number): Dialer =>
    (url) =>
      url.origin === publicUrl ? { connectTo: `http://127.0.0.1:${routers[i]!.port}`, host: new URL(publicUrl).host } : null;

  /** A whole login through router `i` as a browser does it: "succeeded on" the provider that signed the ID token, or the OAuth error. */
  async function logIn(i: number, org: string, user = "user"): Promise<string> {
    const login = new OidcLogin(relyingParties[i]!, new Browser(through(i)));
    await login.start({ login_hint: `${user}@${domainOf(org)}` });
    const error = login.callback?.searchParams.get("error");
    if (error) return `failed: ${error}`;
    await login.finish(`${user}@${domainOf(org)}`);
    const tokens = await login.exchange();
    const kid = JSON.parse(Buffer.from(tokens.id_token!.split(".")[0]!, "base64url").toString()).kid as string;
    return `succeeded on ${pair!.signers[kid]}`;
  }
  /** Routers learn a change from a hint: log in until router `i` sends the organization's users where expected. */
  const logsIn = (i: number, org: string, expected: string) => eventually(() => logIn(i, org), (result) => result === expected, 15_000);
  const migrationsByWave = async (org: string, waveId: string) => (await store.readStream(streamIdOf(org))).filter((e) => e.type === "OrganizationMigrated" && e.metadata.wave?.waveId === waveId).length;

  test("batches of 5 move; the target fails one organization's logins, the guard rolls it back and the wave pauses after that batch; resume (and a runner killed mid-batch) finishes the rest; both routers route every organization where the log says", async () => {
    for (const id of ORGS) {
      expect((await d.command("/v1/organizations", { id, name: id, identifiers: [{ kind: "domain", value: domainOf(id) }], tags: ["wave:e2e"] })).status).toBe(201);
    }
    // The legacy accepts FAILING's users, through either router: the guard's baseline.
    for (const i of [0, 1]) expect(await logsIn(i, FAILING, "succeeded on legacy")).toBe("succeeded on legacy");

    const planned = await d.command("/v1/waves", { name: "E2E", selector: { tags: ["wave:e2e"] }, batchSize: 5, soakMinutes: 30 });
    expect(planned.status).toBe(201);
    const waveId: string = planned.body.id;
    expect(planned.body).toMatchObject({ status: "running", batches: { total: 4, done: 0 }, organizations: { total: 20, pending: 20 } });

    let now = Date.now();
    const runnerDeps = (s: EventStore): WaveRunnerDeps => ({
      store: s,
      providers: { ids: ["legacy", "target"], defaultProvider: "legacy", defaultTarget: "target" },
      health: batchHealth(s, outcomeStore(db)),
      clock: () => new Date(now),
      onAppended: (change) => void bus.publish({ orgId: change.organizationId, position: change.position }).catch(() => undefined),
    });
    const deps = runnerDeps(store);
    expect(await runWave(deps, waveId)).toEqual(["batch-started", "migrated", "migrated", "migrated", "migrated", "migrated", "idle"]);
    const batch1 = ORGS.slice(0, 5);

    // Real logins through both routers: the batch's healthy organizations sign in on the target; FAILING's users are refused there.
    for (const org of batch1.filter((o) => o !== FAILING)) {
      for (const i of [0, 1]) expect(await logsIn(i, org, "succeeded on target")).toBe("succeeded on target");
    }
    for (const i of [0, 1]) expect(await logsIn(i, FAILING, "failed: access_denied")).toBe("failed: access_denied");
    expect(await logIn(0, FAILING, "another")).toBe("failed: access_denied");

    // Nobody calls the guard: it finds the failures the routers counted and rolls FAILING back by itself.
    const history = await eventually(() => store.readStream(streamIdOf(FAILING)), (events) => events.at(-1)?.type === "OrganizationRolledBack", 20_000);
    expect(history.at(-1)).toMatchObject({ data: { from: "target", to: "legacy" }, metadata: { actor: "guard" } });
    expect(history.at(-1)!.metadata.reason).toMatch(/^guard: [3-9] of [3-9] logins failed on target in \d+ min; 0 of \d+ before on legacy$/);
    for (const i of [0, 1]) expect(await logsIn(i, FAILING, "succeeded on legacy")).toBe("succeeded on legacy");
    // The batch's finished logins on the target (4 organizations x 2 routers succeeded, 3 or more failed) are in the outcome table before its soak is measured.
    const onTarget = async () => {
      const tally = { succeeded: 0, failed: 0 };
      for (const org of batch1) {
        for (const row of await outcomeStore(db).read({ organizationId: org, sinceMinute: 0 })) if (row.provider === "target" && (row.outcome === "succeeded" || row.outcome === "failed")) tally[row.outcome] += row.count;
      }
      return tally;
    };
    await eventually(onTarget, (t) => t.succeeded >= 8 && t.failed >= 3, 10_000);

    // The soak ends on the injected clock: the wave pauses after this batch, with the guard's numbers.
    now += 30 * 60_000;
    expect(await runWave(deps, waveId)).toEqual(["soak-finished", "idle"]);
    const paused = await d.get(`/v1/waves/${waveId}`);
    expect(paused.body).toMatchObject({ status: "paused", batches: { done: 1 }, organizations: { onTarget: 4, notOnTarget: 1, pending: 15 }, currentBatch: null });
    // 8 logins succeeded on the target; at least 3 failed (a login through a router the rollback has not reached yet fails too).
    const [pause] = paused.body.pauses;
    expect(paused.body.pauses).toHaveLength(1);
    expect(pause).toMatchObject({ by: "guard", health: { rolledBack: [FAILING] } });
    const { successRate, logins } = pause.health;
    expect(logins).toBeGreaterThanOrEqual(11);
    expect(Math.round(successRate * logins)).toBe(8);
    expect(pause.reason).toBe(`1 organization(s) of the batch rolled back: ${FAILING}; login success rate ${(successRate * 100).toFixed(1)}% over ${logins} logins`);
    // Paused, it stays put however long it waits.
    now += 60 * 60_000;
    expect(await runWave(deps, waveId)).toEqual(["idle"]);
    expect(await Promise.all(ORGS.slice(5).map((o) => migrationsByWave(o, waveId)))).toEqual(ORGS.slice(5).map(() => 0));

    expect((await d.command(`/v1/waves/${waveId}/resume`, { reason: `${FAILING} stays on legacy until its connection is fixed` })).status).toBe(200);
    // Batch 2: this runner dies after two migrations; a fresh one (its own connection, nothing in memory) picks up from the log.
    expect([await stepWave(deps, waveId), await stepWave(deps, waveId), await stepWave(deps, waveId)]).toEqual(["batch-started", "migrated", "migrated"]);
    const freshDb = openPostgres(d.directDatabaseUrl, { max: 2 });
    try {
      const fresh = runnerDeps(await openEventStore(freshDb));
      expect(await runWave(fresh, waveId)).toEqual(["migrated", "migrated", "migrated", "idle"]);
      for (let batch = 3; batch <= 4; batch++) {
        now += 30 * 60_000;
        expect(await runWave(fresh, waveId)).toEqual(["soak-finished", "batch-started", "migrated", "migrated", "migrated", "migrated", "migrated", "idle"]);
      }
      now += 30 * 60_000;
      expect(await runWave(fresh, waveId)).toEqual(["completed"]);
    } finally {
      await freshDb.close();
    }
    // Each organization migrated by the wave exactly once: none twice, none skipped.
    expect(await Promise.all(ORGS.map((o) => migrationsByWave(o, waveId)))).toEqual(ORGS.map(() => 1));
    const done = await d.get(`/v1/waves/${waveId}`);
    expect(done.body).toMatchObject({ status: "completed", batches: { total: 4, done: 4 }, organizations: { total: 20, pending: 0, onTarget: 19, notOnTarget: 1 } });
    const kinds = (await d.get(`/v1/waves/${waveId}/events`)).body.events.map((e: { type: string }) => e.type);
    expect(kinds).toEqual(["WavePlanned", "BatchStarted", "BatchSoaked", "WavePaused", "WaveResumed", ...Array(3).fill(["BatchStarted", "BatchSoaked"]).flat(), "WaveCompleted"]);

    // Both routers send every organization's users where the log says: a real login, signed by that provider.
    const log = new Map(await Promise.all(ORGS.map(async (o) => [o, (await d.get(`/v1/organizations/${o}`)).body.provider as string] as const)));
    expect([...log].filter(([, p]) => p === "legacy")).toEqual([[FAILING, "legacy"]]);
    for (const org of ORGS) {
      for (const i of [0, 1]) expect(await logsIn(i, org, `succeeded on ${log.get(org)}`)).toBe(`succeeded on ${log.get(org)}`);
    }
    await store.releaseLease("wave-runner", "wave-e2e");
  }, 180_000);
});
