import type { Sql } from "./sql.ts";

/**
 * How far the transaction-visibility horizon lags behind the log. Log readers and routers read
 * only below `pg_snapshot_xmin`, so one long transaction anywhere on the server (with a
 * transaction id) hides every write committed after it began. `ageSeconds` is how long the
 * first such committed-but-unreadable write (lowest transaction id) has been waiting (0 when
 * none waits): the time the horizon has failed to advance past a pending write, measured on the
 * server's clock. `pending` counts those writes, up to PENDING_COUNT_CAP.
 */
export type HorizonReading = { ageSeconds: number; pending: number };

/** Counting stops here: the reading stays one cheap index range scan however many writes pile up behind a stuck horizon. */
export const PENDING_COUNT_CAP = 10_000;

export async function readHorizon(sql: Sql): Promise<HorizonReading> {
  // The first pending write in transaction-id order is the one that began waiting first (its
  // recorded_at is its transaction's start); both lookups walk the (transaction_id, position) index.
  const [row] = await sql.query<{ age: number | null; pending: number }>(
    `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon)
     SELECT (SELECT extract(epoch FROM clock_timestamp() - e.recorded_at)::float8 FROM events e
              WHERE e.transaction_id >= h.horizon ORDER BY e.transaction_id, e.position LIMIT 1) AS age,
            (SELECT count(*)::int FROM (SELECT 1 FROM events e WHERE e.transaction_id >= h.horizon LIMIT ${PENDING_COUNT_CAP}) p) AS pending
       FROM h`,
  );
  return { ageSeconds: Math.max(0, Number(row?.age ?? 0)), pending: Number(row?.pending ?? 0) };
}
