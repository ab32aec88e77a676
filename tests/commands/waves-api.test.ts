import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCommandsApp } from "../../services/commands/app.ts";
import { createTokenVerifier } from "../../services/commands/auth.ts";
import { mintToken } from "../../services/commands/tokens.ts";
import { silentLog } from "../../services/http/log.ts";
import { rollbacksInLog } from "../../services/waves/batch-health.ts";
import { runWave } from "../../services/waves/wave-runner.ts";
import { openEventStore, type EventStore } from "../../db/event-store.ts";
import { openPglite } from "../../db/pglite.ts";
import type { Database } from "../../db/sql.ts";
import { PROVIDERS } from "../support/commands.ts";
import { randomSecret } from "../support/secrets.ts";
import { unique } from "../support/unique.ts";

let db: Database;
let store: EventStore;
let now = Date.parse("2026-11-30T10:00:00Z");
const clock = () => new Date(now);
let call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

beforeAll(async () => {
  db = await openPglite();
  store = await openEventStore(db);
  const secret = randomSecret("waves");
  const app = createCommandsApp({ store, providers: PROVIDERS, verifyToken: await createTokenVerifier({ secret }), log: silentLog, now: () => now });
  const token = await mintToken(secret, { subject: "operator@example.com", scopes: ["migrations:write"], ttlSeconds: 300 });
  call = async (method, path, body) => {
    const response = await app.request(path, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: response.status, body: await response.json() };
  };
});
afterAll(async () => {
  await db.close();
});

const runner = { store: () => ({ store, providers: PROVIDERS, health: rollbacksInLog(store), clock }) };

describe("waves over the API", () => {
  test("plan by tag, watch progress, see why it paused, resume, read the whole history", async () => {
    const tag = `wave:${unique("t").replace(/[^a-z0-9]/g, "")}`;
    const ids = Array.from({ length: 5 }, (_, i) => `${unique("eu")}-${i}`);
    for (const id of ids) expect((await call("POST", "/v1/organizations", { id, name: id, tags: [tag, "region:eu"] })).status).toBe(201);
    await call("POST", "/v1/organizations", { id: unique("us"), name: "US", tags: [tag, "region:us"] });

    const planned = await call("POST", "/v1/waves", { name: "EU first", selector: { tags: [tag, "region:eu"] }, batchSize: 2, soakMinutes: 30 });
    expect(planned.status).toBe(201);
    expect(planned.body).toMatchObject({ status: "running", to: "target", batches: { total: 3, done: 0 }, organizations: { total: 5, pending: 5 } });
    const waveId: string = planned.body.id;

    await runWave(runner.store(), waveId);
    now += 10 * 60_000;
    const watching = await call("GET", `/v1/waves/${waveId}`);
    expect(watching.body).toMatchObject({ organizations: { pending: 3, onTarget: 2 }, currentBatch: { batch: 1, soakRemainingSeconds: 20 * 60 } });

    const first = watching.body.currentBatch.organizations[0];
    expect((await call("POST", `/v1/organizations/${first}/rollback`, { reason: "logins fail" })).status).toBe(200);
    now += 20 * 60_000;
    await runWave(runner.store(), waveId);
    const paused = await call("GET", `/v1/waves/${waveId}`);
    expect(paused.body).toMatchObject({ status: "paused", pauses: [{ by: "guard", reason: `1 organization(s) of the batch rolled back: ${first}` }] });

    expect((await call("POST", `/v1/waves/${waveId}/resume`, { reason: "fixed the IdP mapping" })).body.status).toBe("running");
    for (let i = 0; i < 3; i++) {
      await runWave(runner.store(), waveId);
      now += 30 * 60_000;
    }
    await runWave(runner.store(), waveId);
    const done = await call("GET", `/v1/waves/${waveId}`);
    expect(done.body).toMatchObject({ status: "completed", batches: { total: 3, done: 3 }, organizations: { pending: 0, onTarget: 4, notOnTarget: 1 } });
    const history = await call("GET", `/v1/waves/${waveId}/events`);
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual([
      "WavePlanned", "BatchStarted", "BatchSoaked", "WavePaused", "WaveResumed", "BatchStarted", "BatchSoaked", "BatchStarted", "BatchSoaked", "WaveCompleted",
    ]);
    expect(history.body.events[4]).toMatchObject({ actor: "operator@example.com", reason: "fixed the IdP mapping" });
    // In the global log a wave's events belong to no organization (not a fragment of the wave's stream id).
    const log = await call("GET", "/v1/events?type=WavePlanned");
    expect(log.status).toBe(200);
    expect(log.body.events.find((e: { streamId: string }) => e.streamId === `wave-${waveId}`)).toMatchObject({ organizationId: null });
    expect((await call("GET", "/v1/waves")).body.waves).toContainEqual(expect.objectContaining({ id: waveId, status: "completed" }));
    expect((await call("POST", `/v1/waves/${waveId}/abort`, { reason: "late" })).body.code).toBe("wave_finished");
  });

  test("refusals carry their codes", async () => {
    const none = await call("POST", "/v1/waves", { name: "Nobody", selector: { tags: ["no:such-tag"] }, batchSize: 5, soakMinutes: 10 });
    expect(none).toMatchObject({ status: 422, body: { code: "wave_selects_nothing" } });
    const id = unique("solo");
    await call("POST", "/v1/organizations", { id, name: "Solo" });
    const a = await call("POST", "/v1/waves", { name: "A", organizations: [id], batchSize: 1, soakMinutes: 0 });
    expect(a.status).toBe(201);
    expect(await call("POST", "/v1/waves", { name: "B", organizations: [id], batchSize: 1, soakMinutes: 0 })).toMatchObject({ status: 409, body: { code: "organization_in_wave" } });
    expect(await call("POST", "/v1/waves", { name: "C", organizations: [unique("ghost")], batchSize: 1, soakMinutes: 0 })).toMatchObject({ status: 404, body: { code: "organization_not_found" } });
    expect(await call("POST", "/v1/waves", { name: "D", organizations: [id], batchSize: 0, soakMinutes: 0 })).toMatchObject({ status: 422, body: { code: "invalid_wave" } });
    expect(await call("POST", `/v1/waves/${a.body.id}/resume`, { reason: "x" })).toMatchObject({ status: 409, body: { code: "wave_not_paused" } });
    expect(await call("POST", `/v1/waves/${a.body.id}/pause`, {})).toMatchObject({ status: 422, body: { code: "reason_required" } });
    expect(await call("GET", "/v1/waves/no-such-wave")).toMatchObject({ status: 404, body: { code: "wave_not_found" } });
    expect(await call("GET", "/v1/waves/%00bad")).toMatchObject({ status: 404, body: { code: "wave_not_found" } });
    const aborted = await call("POST", `/v1/waves/${a.body.id}/abort`, { reason: "changed plans", rollBack: true });
    expect(aborted.body).toMatchObject({ status: "aborted" });
  });
});
