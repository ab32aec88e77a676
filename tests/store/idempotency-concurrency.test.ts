import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openEventStore, type EventStore } from "../../db/event-store.ts";
import { openPglite } from "../../db/pglite.ts";
import type { Database } from "../../db/sql.ts";
import { commandsApi } from "../support/api.ts";
import { eventually } from "../support/eventually.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { unique } from "../support/unique.ts";

type Api = Awaited<ReturnType<typeof commandsApi>>;

/** Sends a command as `token`'s caller and keeps the answer's exact bytes. */
async function send(api: Api, token: string, path: string, body: unknown, key: string): Promise<{ status: number; text: string }> {
  const response = await api.app.request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

const BACKENDS: { name: string; open(): Promise<{ db: Database; store: EventStore; close(): Promise<void>; testDb?: TestDatabase }> }[] = [
  {
    name: "PostgreSQL",
    async open() {
      const testDb = await createTestDatabase();
      const db = testDb.open();
      return { db, store: await openEventStore(db), close: () => testDb.drop(), testDb };
    },
  },
  {
    name: "PGlite",
    async open() {
      const db = await openPglite();
      return { db, store: await openEventStore(db), close: () => db.close() };
    },
  },
];

for (const backend of BACKENDS) {
  describe(`Idempotency-Key under concurrency on ${backend.name}`, () => {
    let f: Awaited<ReturnType<(typeof BACKENDS)[number]["open"]>>;
    let api: Api;
    let alice: string;
    let bob: string;
    beforeAll(async () => {
      f = await backend.open();
      api = await commandsApi(f.store);
      alice = await api.token(undefined, "alice@example.com");
      bob = await api.token(undefined, "bob@example.com");
    });
    afterAll(async () => {
      await f.close();
    });

    const count = async (streamId: string) => (await f.db.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE stream_id = $1", [streamId]))[0]!.n;

    test("twenty concurrent requests with one key and body all get the first answer, byte for byte, and append one event", async () => {
      for (const [path, body, status] of [
        ["/v1/organizations", (id: string) => ({ id, name: "Twenty", identifiers: [{ kind: "domain", value: `${id}.example` }] }), 201],
        ["/v1/organizations/:id/migrate", () => ({ reason: "wave 1" }), 200],
        ["/v1/organizations/:id/rollback", () => ({ reason: "errors" }), 200],
      ] as const) {
        const id = unique("twenty");
        if (path !== "/v1/organizations") {
          expect((await send(api, alice, "/v1/organizations", { id, name: "Twenty" }, unique("setup"))).status).toBe(201);
          if (path.endsWith("rollback")) expect((await send(api, alice, `/v1/organizations/${id}/migrate`, { reason: "r" }, unique("setup"))).status).toBe(200);
        }
        const before = await count(`organization-${id}`);
        const key = unique("key");
        const answers = await Promise.all(Array.from({ length: 20 }, () => send(api, alice, path.replace(":id", id), body(id), key)));
        expect(answers.map((a) => a.status)).toEqual(Array(20).fill(status));
        expect(new Set(answers.map((a) => a.text)).size).toBe(1);
        expect(await count(`organization-${id}`)).toBe(before + 1);
      }
    });

    test("a key is its caller's: another operator's same key and body runs as their own request", async () => {
      const id = unique("scoped");
      const key = unique("key");
      expect((await send(api, alice, "/v1/organizations", { id, name: "Scoped" }, key)).status).toBe(201);
      // Bob's request is decided on its own: the organization exists, so his registration is refused.
      const bobs = await send(api, bob, "/v1/organizations", { id, name: "Scoped" }, key);
      expect(bobs.status).toBe(409);
      expect(JSON.parse(bobs.text).code).toBe("organization_exists");
      const other = unique("scoped-other");
      expect((await send(api, bob, "/v1/organizations", { id: other, name: "Other" }, key)).status).toBe(201);
      const events = await api.call("GET", `/v1/organizations/${other}/events`);
      expect(events.body.events[0]).toMatchObject({ actor: "bob@example.com", idempotencyKey: key });
      expect((await send(api, alice, "/v1/organizations", { id: other, name: "Other" }, key)).status).toBe(422);
    });
  });
}

describe("Idempotency-Key against an uncommitted original on PostgreSQL", () => {
  let testDb: TestDatabase;
  let store: EventStore;
  let api: Api;
  let alice: string;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    store = await openEventStore(testDb.open());
    api = await commandsApi(store);
    alice = await api.token(undefined, "alice@example.com");
  });
  afterAll(async () => {
    await testDb.drop();
  });

  /** Holds the organization's stream row locked, so an append to it waits inside its transaction. */
  async function holdStream(id: string) {
    const db = testDb.open();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = db.transaction(async (tx) => {
      await tx.query("SELECT 1 FROM streams WHERE stream_id = $1 FOR UPDATE", [`organization-${id}`]);
      locked();
      await released;
    });
    await isLocked;
    return { release: async () => (release(), await holding, await db.close()) };
  }

  /** Server processes of this test database waiting on a lock, with what they run. */
  const waiting = async () =>
    testDb
      .open()
      .query<{ pid: number; query: string }>(
        "SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );

  test("a retry that overlaps its uncommitted original waits for it and gets its answer", async () => {
    const id = unique("overlap");
    expect((await send(api, alice, "/v1/organizations", { id, name: "Overlap" }, unique("setup"))).status).toBe(201);
    const hold = await holdStream(id);
    const key = unique("key");
    const original = send(api, alice, `/v1/organizations/${id}/migrate`, { reason: "r" }, key);
    await eventually(waiting, (rows) => rows.some((r) => r.query.includes("UPDATE streams")));
    const retry = send(api, alice, `/v1/organizations/${id}/migrate`, { reason: "r" }, key);
    await eventually(waiting, (rows) => rows.some((r) => r.query.includes("INSERT INTO idempotency_keys")));
    await hold.release();
    const [first, second] = await Promise.all([original, retry]);
    expect(first.status).toBe(200);
    expect(second).toEqual(first);
    expect((await api.call("GET", `/v1/organizations/${id}/events`)).body.events).toHaveLength(2);
  });

  test("when the original fails mid-flight, its waiting retry runs the command itself, once", async () => {
    const id = unique("dies");
    expect((await send(api, alice, "/v1/organizations", { id, name: "Dies" }, unique("setup"))).status).toBe(201);
    const hold = await holdStream(id);
    const key = unique("key");
    const original = send(api, alice, `/v1/organizations/${id}/migrate`, { reason: "r" }, key);
    const stuck = await eventually(waiting, (rows) => rows.some((r) => r.query.includes("UPDATE streams")));
    const originalPid = stuck.find((r) => r.query.includes("UPDATE streams"))!.pid;
    const retry = send(api, alice, `/v1/organizations/${id}/migrate`, { reason: "r" }, key);
    await eventually(waiting, (rows) => rows.some((r) => r.query.includes("INSERT INTO idempotency_keys")));
    // The original's statement is cancelled: its transaction rolls back, as it does when its
    // API process dies (a terminated backend is not used here: postgres.js then throws an
    // unhandled error from its socket, which would fail the test run for another reason).
    await testDb.open().query("SELECT pg_cancel_backend($1)", [originalPid]);
    expect((await original).status).toBeGreaterThanOrEqual(500);
    await hold.release();
    const second = await retry;
    expect(second.status).toBe(200);
    expect(JSON.parse(second.text)).toMatchObject({ id, provider: "target", version: 2 });
    expect((await api.call("GET", `/v1/organizations/${id}/events`)).body.events).toHaveLength(2);
  });
});
