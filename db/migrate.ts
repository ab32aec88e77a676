import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { sql as q } from "drizzle-orm";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { migrate as drizzleMigrate } from "drizzle-orm/pg-proxy/migrator";
import { ormOf } from "./orm.ts";
import type { Sql } from "./sql.ts";

const MIGRATIONS = new URL("./migrations/", import.meta.url);
const MIGRATIONS_FOLDER = fileURLToPath(MIGRATIONS);
/** Any constant works; it only has to be the same in every process that migrates this database. */
const MIGRATION_LOCK = 7_347_001;

type Journal = { entries: { idx: number; tag: string; when: number }[] };

/**
 * Applies drizzle-kit's migrations with drizzle's migrator (journal: `drizzle.__drizzle_migrations`),
 * in one transaction holding an advisory lock, so two processes starting at once apply nothing
 * twice (drizzle's migrator takes no lock of its own). A database the hand-written migrator of
 * earlier releases set up (journal: `schema_migrations`) is adopted first: the migrations it
 * applied are entered in drizzle's journal, never run again. Returns the tags it applied.
 */
export async function migrate(sql: Sql): Promise<string[]> {
  const journal = JSON.parse(await readFile(new URL("meta/_journal.json", MIGRATIONS), "utf8")) as Journal;
  return sql.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.query('CREATE SCHEMA IF NOT EXISTS "drizzle"');
    await tx.query('CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)');
    await adoptHandWrittenJournal(tx, journal);
    const last = (await tx.query<{ at: string | null }>('SELECT max(created_at)::text AS at FROM "drizzle"."__drizzle_migrations"'))[0]?.at;
    const pending = journal.entries.filter((e) => last == null || Number(last) < e.when).map((e) => e.tag);
    await drizzleMigrate(
      ormOf(tx),
      async (queries) => {
        for (const statement of queries) if (statement.trim()) await tx.query(statement);
      },
      { migrationsFolder: MIGRATIONS_FOLDER },
    );
    return pending;
  });
}

/**
 * Enters in drizzle's journal each migration `schema_migrations` (the earlier, hand-written
 * journal) says was applied, with drizzle's hash and time for it, once: only while drizzle's
 * journal is still empty. The old table stays, untouched.
 */
async function adoptHandWrittenJournal(tx: Sql, journal: Journal): Promise<void> {
  const old = await tx.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (!old[0]?.present) return;
  const empty = await ormOf(tx).execute<{ n: number }>(q`SELECT count(*)::int AS n FROM "drizzle"."__drizzle_migrations"`);
  if (Number(empty[0]?.n) > 0) return;
  const applied = new Set((await tx.query<{ tag: string }>("SELECT tag FROM schema_migrations")).map((r) => r.tag));
  const files = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  for (const [i, entry] of journal.entries.entries()) {
    if (!applied.has(entry.tag)) continue;
    await tx.query('INSERT INTO "drizzle"."__drizzle_migrations" (hash, created_at) VALUES ($1, $2)', [files[i]!.hash, entry.when]);
  }
}
