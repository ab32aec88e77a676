import { afterAll, describe, expect, test } from "bun:test";
import type { Bus } from "../../services/bus/bus.ts";
import { inProcessBus } from "../../services/bus/in-process-bus.ts";
import { natsBus } from "../../services/bus/nats-bus.ts";
import { openPglite } from "../../db/pglite.ts";
import { migrate } from "../../db/migrate.ts";
import { outcomeStore } from "../../db/outcome-store.ts";
import { unmatchedStore } from "../../db/unmatched-store.ts";
import { flushOutcomes } from "../../services/router/flush-outcomes.ts";
import { outcomeRecorder } from "../../services/router/outcome-recorder.ts";
import { storeOutcomes } from "../../services/commands/store-outcomes.ts";
import { silentLog } from "../../services/http/log.ts";
import type { OutcomeBatch } from "../../shared/login-outcomes.ts";
import { eventually } from "../support/eventually.ts";
import { natsAvailable, TEST_NATS_URL } from "../support/nats.ts";

const opened: Bus[] = [];
afterAll(async () => void (await Promise.all(opened.map((b) => b.close()))));

const batch = (router: string): OutcomeBatch => ({
  router,
  rows: [{ organizationId: "acme", provider: "target", minute: Math.floor(Date.now() / 60_000), outcome: "failed", code: "access_denied", count: 2, durations: [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }],
  unmatched: [{ kind: "saml_issuer", value: "https://idp.initech.example/saml", requestKind: "saml_post", provider: "legacy", count: 4, firstSeen: Date.now() - 1000, lastSeen: Date.now() }],
});

describe("outcome batches on both buses", () => {
  test("in-process: a batch reaches the subscriber as a copy", async () => {
    const bus = inProcessBus();
    opened.push(bus);
    const seen: OutcomeBatch[] = [];
    bus.subscribeOutcomes((b) => seen.push(b));
    const sent = batch("r1");
    await bus.publishOutcomes(sent);
    await eventually(async () => seen.length, (n) => n === 1);
    expect(seen[0]).toEqual(sent);
    expect(seen[0]).not.toBe(sent);
  });

  test("NATS: with two command services subscribed, each batch reaches exactly one (queue group); routers do not receive batches", async () => {
    await natsAvailable();
    const prefix = `ssomig-test-${crypto.randomUUID().slice(0, 8)}`;
    const [router, apiA, apiB] = ["router", "api-a", "api-b"].map((name) => natsBus({ url: TEST_NATS_URL, prefix, name }));
    opened.push(router!, apiA!, apiB!);
    const seen: string[] = [];
    const routerSeen: string[] = [];
    apiA!.subscribeOutcomes((b) => seen.push(`a:${b.router}`));
    apiB!.subscribeOutcomes((b) => seen.push(`b:${b.router}`));
    await eventually(async () => router!.connected() && apiA!.connected() && apiB!.connected(), Boolean);
    router!.subscribe(() => routerSeen.push("hint"));
    for (let i = 0; i < 20; i++) await router!.publishOutcomes(batch(`r${i}`));
    await eventually(async () => seen.length, (n) => n >= 20, 5000);
    expect(new Set(seen.map((s) => s.slice(2))).size).toBe(20);
    expect(seen.length).toBe(20);
    expect(routerSeen).toEqual([]);
  });

  test("a closed bus refuses a batch with bus_unavailable (the router keeps its counts)", async () => {
    const bus = inProcessBus();
    await bus.close();
    await expect(bus.publishOutcomes(batch("r"))).rejects.toMatchObject({ code: "bus_unavailable" });
  });
});

describe("embedded default: PGlite and the in-process bus", () => {
  test("a flushed batch lands in both tables", async () => {
    const db = await openPglite();
    try {
      await migrate(db);
      const bus = inProcessBus();
      opened.push(bus);
      const outcomes = outcomeStore(db);
      const unmatched = unmatchedStore(db);
      const stop = storeOutcomes({ bus, outcomes, unmatched, log: silentLog, retentionDays: 30 });
      await bus.publishOutcomes(batch("r1"));
      await bus.publishOutcomes(batch("r2"));
      const rows = await eventually(() => outcomes.read({ organizationId: "acme", sinceMinute: 0 }), (r) => r[0]?.count === 4);
      expect(rows[0]!.durations![0]).toBe(4);
      const listed = await eventually(() => unmatched.list({ limit: 10 }), (r) => r[0]?.count === 8);
      expect(listed[0]).toMatchObject({ kind: "saml_issuer", value: "https://idp.initech.example/saml", requestKind: "saml_post", provider: "legacy" });
      stop();
    } finally {
      await db.close();
    }
  });
});

describe("the router's flush", () => {
  test("counts a bus refuses are kept and sent, merged, with the next flush", async () => {
    const bus = inProcessBus();
    opened.push(bus);
    const seen: OutcomeBatch[] = [];
    bus.subscribeOutcomes((b) => seen.push(b));
    let refuse = true;
    const flaky: Bus = { ...bus, publishOutcomes: (b) => (refuse ? Promise.reject(new Error("NATS away")) : bus.publishOutcomes(b)) };
    const recorder = outcomeRecorder();
    const flusher = flushOutcomes({ router: "r", recorder, bus: flaky, intervalMs: 60_000, log: silentLog });
    const flow = { id: "f1", startedMs: 120_000, postPage: false };
    recorder.flowStarted("acme", "target", flow);
    await flusher.flush();
    expect(flusher.status()).toMatchObject({ failed: 1, pending: 1 });
    recorder.flowStarted("acme", "target", { ...flow, id: "f2" });
    refuse = false;
    await flusher.flush();
    await eventually(async () => seen.length, (n) => n === 1);
    expect(seen[0]!.rows).toEqual([{ organizationId: "acme", provider: "target", minute: 2, outcome: "started", code: "", count: 2, durations: null }]);
    await flusher.stop();
  });
});
