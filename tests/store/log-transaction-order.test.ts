import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openEventStore, type EventStore } from "../../db/event-store.ts";
import { openPglite } from "../../db/pglite.ts";
import { openPostgres } from "../../db/postgres.ts";
import { routeSource } from "../../db/route-source.ts";
import type { Database } from "../../db/sql.ts";
import { commandsApi } from "../support/api.ts";
import { eventually } from "../support/eventually.ts";
import { startPrivateCluster } from "../support/private-postgres.ts";
import { burnTransactionIdsUntil, nextPowerOfTen, nextTransactionId } from "../support/transaction-ids.ts";

/**
 * Transaction ids are cluster-wide, so the PostgreSQL case runs on a private cluster of its own
 * (fresh, near xid 730) rather than the shared server; PGlite starts fresh anyway. Each burns
 * ids up to just below the next power of ten, then runs commands across that boundary.
 */
const BACKENDS: { name: string; open(): Promise<{ db: Database; close(): Promise<void> }> }[] = [
  {
    name: "a private PostgreSQL cluster",
    async open() {
      const cluster = await startPrivateCluster();
      try {
        const db = openPostgres(cluster.url, { max: 4 });
        return { db, close: async () => (await db.close(), await cluster.stop()) };
      } catch (error) {
        await cluster.stop();
        throw error;
      }
    },
  },
  {
    name: "PGlite",
    async open() {
      const db = await openPglite();
      return { db, close: () => db.close() };
    },
  },
];

type Api = Awaited<ReturnType<typeof commandsApi>>;
type EventJson = { position: number; transactionId: string; organizationId: string; type: string };

for (const backend of BACKENDS) {
  describe(`audit log across a transaction id power of ten on ${backend.name}`, () => {
    let db: Database;
    let close: () => Promise<void>;
    let store: EventStore;
    let api: Api;
    let boundary: bigint;

    beforeAll(async () => {
      ({ db, close } = await backend.open());
      store = await openEventStore(db);
      api = await commandsApi(store);
      boundary = nextPowerOfTen((await nextTransactionId(db)) + 20n);
      await burnTransactionIdsUntil(db, boundary - 5n);
      // Registrations land below the boundary, most of what follows above it.
      const commands: [string, string, unknown][] = [
        ["POST", "/v1/organizations", { id: "alpha", name: "Alpha", identifiers: [{ kind: "domain", value: "alpha.example" }] }],
        ["POST", "/v1/organizations", { id: "bravo", name: "Bravo" }],
        ["POST", "/v1/organizations/alpha/migrate", { reason: "wave 1" }],
        ["POST", "/v1/organizations", { id: "charlie", name: "Charlie" }],
        ["POST", "/v1/organizations/bravo/migrate", { reason: "wave 1" }],
        ["POST", "/v1/organizations/alpha/rollback", { reason: "errors" }],
        ["POST", "/v1/organizations/charlie/migrate", { reason: "wave 2" }],
        ["POST", "/v1/organizations/bravo/identifiers", { kind: "domain", value: "bravo.example" }],
        ["POST", "/v1/organizations/alpha/migrate", { reason: "again" }],
        ["POST", "/v1/organizations/charlie/rollback", { reason: "errors" }],
        ["POST", "/v1/organizations", { id: "delta", name: "Delta" }],
        ["POST", "/v1/organizations/delta/migrate", { reason: "wave 3" }],
      ];
      for (const [method, path, body] of commands) {
        const response = await api.call(method, path, body);
        if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
      }
    }, 120_000);
    afterAll(async () => {
      await close?.();
    }, 60_000);

    /** The events table in xid8 order (the `transaction_id` column, not a text alias). */
    async function table(where = "true", params: unknown[] = []): Promise<number[]> {
      const rows = await db.query<{ position: number }>(`SELECT position FROM events WHERE ${where} ORDER BY transaction_id, position`, params);
      return rows.map((r) => Number(r.position));
    }

    async function pages(query: string, limit: number): Promise<{ positions: number[]; pages: number; lastHasMore: boolean }> {
      const positions: number[] = [];
      let after = "";
      for (let page = 1; ; page++) {
        const response = await api.call("GET", `/v1/events?limit=${limit}${query}${after ? `&after=${after}` : ""}`);
        expect(response.status).toBe(200);
        positions.push(...response.body.events.map((e: EventJson) => e.position));
        if (!response.body.hasMore) return { positions, pages: page, lastHasMore: response.body.hasMore };
        expect(response.body.events).toHaveLength(limit);
        after = response.body.next;
        if (page > 1000) throw new Error("the log does not end");
      }
    }

    async function exported(query: string): Promise<number[]> {
      const response = await api.call("GET", `/v1/events?${query}`, undefined, { accept: "application/x-ndjson" });
      expect(response.type).toBe("application/x-ndjson");
      return (response.body as string).trim().split("\n").filter(Boolean).map((line) => (JSON.parse(line) as EventJson).position);
    }

    test("the events straddle a power of ten of transaction ids, the registrations below it", async () => {
      const rows = await db.query<{ xid: string; type: string; stream_id: string }>("SELECT transaction_id AS xid, type, stream_id FROM events");
      const xids = rows.map((r) => BigInt(r.xid));
      expect(xids.some((x) => x < boundary)).toBe(true);
      expect(xids.some((x) => x >= boundary)).toBe(true);
      const alpha = rows.filter((r) => r.stream_id === "organization-alpha").map((r) => BigInt(r.xid));
      expect(alpha[0]! < boundary && alpha.at(-1)! >= boundary).toBe(true);
      // As text these ids sort the other way: the order the old reader used.
      expect(String(boundary) < String(boundary - 1n)).toBe(true);
    });

    test("paging GET /v1/events returns exactly the events table, in order, at any page size", async () => {
      const all = await table();
      await eventually(() => store.readLog({ after: { transactionId: "0", position: 0 }, limit: 1000 }), (p) => p.events.length === all.length);
      for (const limit of [1, 2, 3, 5, all.length, 1000]) {
        const read = await pages("", limit);
        expect(read.positions).toEqual(all);
        expect(read.pages).toBe(Math.max(1, Math.ceil(all.length / limit)));
      }
    });

    test("the NDJSON export returns exactly the events table, in order", async () => {
      const all = await table();
      await eventually(() => exported(""), (p) => p.length === all.length);
      expect(await exported("")).toEqual(all);
    });

    test("?org= and ?type= page and export exactly their rows of the events table", async () => {
      for (const org of ["alpha", "bravo", "charlie", "delta"]) {
        const rows = await table("stream_id = $1", [`organization-${org}`]);
        expect(rows.length).toBeGreaterThan(0);
        for (const limit of [1, 2]) expect((await pages(`&org=${org}`, limit)).positions).toEqual(rows);
        expect(await exported(`org=${org}`)).toEqual(rows);
      }
      for (const type of ["OrganizationRegistered", "OrganizationMigrated", "OrganizationRolledBack,IdentifierLinked"]) {
        const rows = await table("type = ANY($1)", [type.split(",")]);
        for (const limit of [1, 3]) expect((await pages(`&type=${type}`, limit)).positions).toEqual(rows);
        expect(await exported(`type=${type}`)).toEqual(rows);
      }
    });

    test("routers' change reads compare transaction ids as xid8 on both sides of the boundary", async () => {
      const source = routeSource(db);
      const all = await eventually(() => source.loadAll(), (s) => BigInt(s.horizon) > boundary);
      expect(all.rows.map((r) => r.organizationId).sort()).toEqual(["alpha", "bravo", "charlie", "delta"]);
      for (const since of [boundary - 3n, boundary, boundary + 3n]) {
        const changed = await source.changesSince(String(since));
        const expected = await db.query<{ id: string }>(
          "SELECT id FROM organizations WHERE transaction_id >= $1::xid8 AND transaction_id < $2::xid8 ORDER BY id",
          [String(since), changed.horizon],
        );
        expect(changed.rows.map((r) => r.organizationId).sort()).toEqual(expected.map((r) => r.id));
      }
    });

    test("hasMore is false when a page ends exactly at the last event", async () => {
      const all = await table();
      const exact = await api.call("GET", `/v1/events?limit=${all.length}`);
      expect(exact.body.events).toHaveLength(all.length);
      expect(exact.body.hasMore).toBe(false);
      const short = await api.call("GET", `/v1/events?limit=${all.length - 1}`);
      expect(short.body.hasMore).toBe(true);
    });
  });
}
