import type { Sql } from "./sql.ts";

/**
 * How far the transaction-visibility horizon lags behind the log. Log readers and routers read
 * only below `pg_snapshot_xmin`, so one long transaction anywhere on the server (with a
 * transaction id) hides every write committed after it began. `ageSeconds` is how long the
 * oldest such committed-but-unreadable write has been waiting (0 when none waits): the time the
 * horizon has failed to advance past a pending write, measured on the server's clock.
 */
export type HorizonReading = { ageSeconds: number; pending: number };

export async function readHorizon(sql: Sql): Promise<HorizonReading> {
  const [row] = await sql.query<{ age: number | null; pending: number }>(
    `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon)
     SELECT extract(epoch FROM clock_timestamp() - min(e.recorded_at))::float8 AS age, count(e.position)::int AS pending
       FROM h LEFT JOIN events e ON e.transaction_id >= h.horizon`,
  );
  return { ageSeconds: Math.max(0, Number(row?.age ?? 0)), pending: Number(row?.pending ?? 0) };
}
