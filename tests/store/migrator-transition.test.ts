import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { openEventStore } from "../../db/event-store.ts";
import { migrate as applyMigrations } from "../../db/migrate.ts";
import type { Database } from "../../db/sql.ts";
import { migrate, register, run } from "../support/commands.ts";
import { DATABASES } from "../support/stores.ts";

const MIGRATIONS = new URL("../../db/migrations/", import.meta.url);
const RELEASED = ["0000_init", "0001_append_only_events", "0002_idempotency_keys_per_subject"];
/** The last release of the hand-written migrator also carried the safety loop's tables (issue 12). */
const RELEASED_WITH_OUTCOMES = [...RELEASED, "0003_login_outcomes_and_unmatched"];

/** What the hand-written migrator of a previous release did: its own journal, `schema_migrations`. */
async function migrateLikeThePreviousRelease(db: Database, released: readonly string[] = RELEASED): Promise<void> {
  await db.query("CREATE TABLE schema_migrations (tag text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
  for (const tag of released) {
    const text = await readFile(new URL(`${tag}.sql`, MIGRATIONS), "utf8");
    for (const statement of text.split("--> statement-breakpoint")) if (statement.trim()) await db.query(statement);
    await db.query("INSERT INTO schema_migrations (tag) VALUES ($1)", [tag]);
  }
}

const journal = async () => JSON.parse(await readFile(new URL("meta/_journal.json", MIGRATIONS), "utf8")) as { entries: { tag: string; when: number }[] };
const drizzleJournal = (db: Database) => db.query<{ hash: string; at: string }>('SELECT hash, created_at::text AS at FROM "drizzle"."__drizzle_migrations" ORDER BY id');


for (const backend of DATABASES) {
  describe(`drizzle's migrator on ${backend.name}`, () => {
    const opened: { close(): Promise<void> }[] = [];
    const open = async () => {
      const f = await backend.open();
      opened.push(f);
      return f.db;
    };
    afterAll(async () => {
      await Promise.all(opened.map((f) => f.close()));
    });

    test("adopts a database the hand-written migrator set up: nothing runs twice, the data stays, newer migrations apply", async () => {
      const db = await open();
      await migrateLikeThePreviousRelease(db);
      await db.query("INSERT INTO streams (stream_id, version) VALUES ('organization-kept', 1)");
      await db.query(
        `INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata) VALUES ('organization-kept', 1, gen_random_uuid(), 'OrganizationRegistered',
           '{"organizationId":"kept","name":"Kept","provider":"legacy","identifiers":[]}', '{"actor":"a","reason":null,"requestId":"r","idempotencyKey":null,"schemaVersion":1}')`,
      );
      const newer = (await journal()).entries.map((e) => e.tag).filter((t) => !RELEASED.includes(t));
      expect(await applyMigrations(db)).toEqual(newer);
      const files = readMigrationFiles({ migrationsFolder: fileURLToPath(MIGRATIONS) });
      expect(await drizzleJournal(db)).toEqual(files.map((f) => ({ hash: f.hash, at: String(f.folderMillis) })));
      expect(await applyMigrations(db)).toEqual([]);
      const store = await openEventStore(db);
      expect(await store.readStream("organization-kept")).toHaveLength(1);
      await run(store, migrate("kept"));
      expect((await store.readStream("organization-kept")).map((e) => e.type)).toEqual(["OrganizationRegistered", "OrganizationMigrated"]);
    });

    test("adopts a database whose hand-written journal has 0003 (login outcomes): it is not run again, its rows stay, 0004 on apply", async () => {
      const db = await open();
      await migrateLikeThePreviousRelease(db, RELEASED_WITH_OUTCOMES);
      await db.query("INSERT INTO login_outcomes (organization_id, provider, minute, outcome, code, count) VALUES ('kept', 'legacy', now(), 'succeeded', '', 3)");
      const newer = (await journal()).entries.map((e) => e.tag).filter((t) => !RELEASED_WITH_OUTCOMES.includes(t));
      expect(newer[0]).toBe("0004_idempotency_result");
      expect(await applyMigrations(db)).toEqual(newer);
      const files = readMigrationFiles({ migrationsFolder: fileURLToPath(MIGRATIONS) });
      expect(await drizzleJournal(db)).toEqual(files.map((f) => ({ hash: f.hash, at: String(f.folderMillis) })));
      expect(await applyMigrations(db)).toEqual([]);
      expect(await db.query("SELECT organization_id, count FROM login_outcomes")).toEqual([{ organization_id: "kept", count: 3 }]);
      const store = await openEventStore(db);
      await run(store, register("after"));
      expect(await store.getOrganization("after")).toMatchObject({ provider: "legacy", tags: [] });
    });

    test("journal times increase in journal order (drizzle's migrator applies only entries newer than the last applied)", async () => {
      const whens = (await journal()).entries.map((e) => e.when);
      expect(whens).toEqual([...whens].sort((a, b) => a - b));
      expect(new Set(whens).size).toBe(whens.length);
    });

    test("migrates a fresh database with drizzle's journal only", async () => {
      const db = await open();
      expect(await applyMigrations(db)).toEqual((await journal()).entries.map((e) => e.tag));
      expect(await drizzleJournal(db)).toHaveLength((await journal()).entries.length);
      expect((await db.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present"))[0]!.present).toBe(false);
      const store = await openEventStore(db);
      await run(store, register("fresh"));
      expect(await store.getOrganization("fresh")).toMatchObject({ provider: "legacy" });
    });
  });
}
