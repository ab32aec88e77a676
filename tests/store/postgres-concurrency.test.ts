import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { streamIdOf } from "../../shared/events.ts";
import { LOG_START, openEventStore, type EventStore, type LogCursor } from "../../db/event-store.ts";
import { migrate as applyMigrations } from "../../db/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { commandsApi } from "../support/api.ts";
import { register, run } from "../support/commands.ts";
import { eventually } from "../support/eventually.ts";

let testDb: TestDatabase;
let store: EventStore;

beforeAll(async () => {
  testDb = await createTestDatabase();
  store = await openEventStore(testDb.open());
});
afterAll(async () => {
  await testDb.drop();
});

describe("PostgreSQL under concurrency", () => {
  test("two processes starting at once apply each migration exactly once", async () => {
    const fresh = await createTestDatabase();
    try {
      const [a, b] = await Promise.all([applyMigrations(fresh.open()), applyMigrations(fresh.open())]);
      // Every migration in the journal, each once (whoever adds one need not edit this test).
      const journal = (await Bun.file(new URL("../../db/migrations/meta/_journal.json", import.meta.url)).json()) as { entries: { tag: string }[] };
      expect([...a, ...b].sort()).toEqual(journal.entries.map((e) => e.tag).sort());
    } finally {
      await fresh.drop();
    }
  });

  test("50 concurrent migrate/rollback requests on one organization: contiguous versions, nothing lost or doubled", async () => {
    const api = await commandsApi(store);
    await api.call("POST", "/v1/organizations", { id: "hot", name: "Hot" });
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => api.call("POST", `/v1/organizations/hot/${i % 2 ? "rollback" : "migrate"}`, { reason: `request ${i}` })),
    );
    const accepted = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status !== 200);
    expect(refused.every((r) => r.status === 409 && ["already_on_provider", "nothing_to_roll_back"].includes(r.body.code))).toBe(true);

    const history = await store.readStream(streamIdOf("hot"));
    expect(history.map((e) => e.streamVersion)).toEqual(history.map((_, i) => i + 1));
    expect(history).toHaveLength(1 + accepted.length);
    expect(new Set(history.map((e) => e.eventId)).size).toBe(history.length);
    expect(new Set(accepted.map((r) => r.body.version)).size).toBe(accepted.length);
    expect(history.slice(1).map((e) => e.type)).toEqual(history.slice(1).map((_, i) => (i % 2 ? "OrganizationRolledBack" : "OrganizationMigrated")));
    const reasons = history.slice(1).map((e) => e.metadata.reason);
    expect(new Set(reasons).size).toBe(reasons.length);
    expect((await store.replay({ swap: false })).matched).toBe(true);
  });

  test("a log reader never skips an event whose transaction commits late with a lower position", async () => {
    const early = await run(store, register("early"));
    let cursor: LogCursor = LOG_START;
    const seen: string[] = [];
    const read = async () => {
      const page = await store.readLog({ after: cursor, limit: 1000 });
      cursor = page.next;
      seen.push(...page.events.map((e) => e.streamId));
      return cursor;
    };
    await eventually(read, (c) => c.position >= early.position);
    seen.length = 0;

    const held = testDb.open();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedInSlowTx = new Promise<void>((resolve) => (inserted = resolve));
    const slow = held.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata)
         VALUES ('organization-slow', 1, gen_random_uuid(), 'OrganizationRegistered',
                 '{"organizationId":"slow","name":"Slow","provider":"legacy","identifiers":[]}', '{"actor":"t","reason":null,"requestId":"r","idempotencyKey":null,"schemaVersion":1}')`,
      );
      inserted();
      await released;
    });
    try {
      await insertedInSlowTx;
      await run(store, register("fast"));
      await read();
      expect(seen).toEqual([]);
    } finally {
      release();
      await slow;
    }
    await eventually(read, () => seen.length >= 2);
    expect(seen).toEqual([streamIdOf("slow"), streamIdOf("fast")]);
    const log = await store.readLog({ after: LOG_START, limit: 1000 });
    const position = (id: string) => log.events.find((e) => e.streamId === streamIdOf(id))!.position;
    expect(position("slow")).toBeLessThan(position("fast"));
  });
});
