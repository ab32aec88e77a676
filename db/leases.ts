import { and, eq, sql as q } from "drizzle-orm";
import { ormOf } from "./orm.ts";
import { leases } from "./schema.ts";
import type { Sql } from "./sql.ts";

/**
 * Takes or renews the lease `name` for `holder` for `ttlMs` (database time): true when `holder`
 * holds it now. One statement, so two replicas asking at once cannot both win: the row's
 * conflict makes the second wait for the first and then see a lease that has not expired.
 */
export async function acquireLease(sql: Sql, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const rows = await ormOf(sql).execute<{ holder: string }>(
    q`INSERT INTO ${leases} (name, holder, expires_at) VALUES (${name}, ${holder}, now() + make_interval(secs => ${ttlMs / 1000}::float8))
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE ${leases.expiresAt} < now() OR ${leases.holder} = excluded.holder
      RETURNING holder`,
  );
  return rows.length === 1;
}

/** Gives the lease up at once (a clean shutdown), if `holder` holds it. */
export async function releaseLease(sql: Sql, name: string, holder: string): Promise<void> {
  await ormOf(sql).delete(leases).where(and(eq(leases.name, name), eq(leases.holder, holder)));
}
