import type { Database } from "./sql.ts";

/** Any constant works; it only has to be the same in every command service on this database. */
const GUARD_LOCK = 7_347_012;

/** Organizations migrated within the last `minutes` (their streams; the guard reads each one). */
export async function recentlyMigrated(db: Database, minutes: number): Promise<string[]> {
  const rows = await db.query<{ stream_id: string }>(
    "SELECT DISTINCT stream_id FROM events WHERE type = 'OrganizationMigrated' AND recorded_at > now() - make_interval(mins => $1::int) ORDER BY stream_id",
    [minutes],
  );
  return rows.map((r) => r.stream_id);
}

/**
 * Runs `fn` only if no other command service is running it right now: a transaction-scoped
 * advisory lock on PostgreSQL (released at commit, so a crashed replica never keeps it). PGlite
 * is one process with one connection: there is nobody to exclude, and a transaction held open
 * there would block `fn`'s own queries. On PostgreSQL `fn` runs on other pool connections while
 * the lock's transaction holds one (postgres.js pools 10), and takes no transaction id, so it
 * holds back no log reader's visibility horizon.
 */
export async function asTheOnlyRunner<T>(db: Database, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
  if (db.kind === "pglite") return { ran: true, value: await fn() };
  return db.transaction(async (tx) => {
    const [row] = await tx.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS locked", [GUARD_LOCK]);
    return row?.locked ? { ran: true as const, value: await fn() } : { ran: false as const };
  });
}
