import { readFile } from "node:fs/promises";
import type { Sql } from "./sql.ts";

const MIGRATIONS = new URL("./migrations/", import.meta.url);
/** Any constant works; it only has to be the same in every process that migrates this database. */
const MIGRATION_LOCK = 7_347_001;

type Journal = { entries: { idx: number; tag: string }[] };

/**
 * Applies drizzle-kit's SQL migrations in journal order, each at most once. All of it runs in
 * one transaction holding an advisory lock, so two processes starting at once apply nothing twice.
 */
export async function migrate(sql: Sql): Promise<string[]> {
  const journal = JSON.parse(await readFile(new URL("meta/_journal.json", MIGRATIONS), "utf8")) as Journal;
  const entries = [...journal.entries].sort((a, b) => a.idx - b.idx);
  const files = await Promise.all(entries.map((e) => readFile(new URL(`${e.tag}.sql`, MIGRATIONS), "utf8")));
  return sql.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.query("CREATE TABLE IF NOT EXISTS schema_migrations (tag text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    const done = new Set((await tx.query<{ tag: string }>("SELECT tag FROM schema_migrations")).map((r) => r.tag));
    const applied: string[] = [];
    for (const [i, entry] of entries.entries()) {
      if (done.has(entry.tag)) continue;
      for (const statement of files[i]!.split("--> statement-breakpoint")) {
        if (statement.trim()) await tx.query(statement);
      }
      await tx.query("INSERT INTO schema_migrations (tag) VALUES ($1)", [entry.tag]);
      applied.push(entry.tag);
    }
    return applied;
  });
}
