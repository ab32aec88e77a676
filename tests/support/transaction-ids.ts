import type { Sql } from "../../db/sql.ts";

/** The transaction id the next transaction of this cluster will get. */
export async function nextTransactionId(sql: Sql): Promise<bigint> {
  const rows = await sql.query<{ next: string }>("SELECT pg_snapshot_xmax(pg_current_snapshot()) AS next");
  return BigInt(rows[0]!.next);
}

/** The smallest power of ten above `n`. */
export function nextPowerOfTen(n: bigint): bigint {
  let p = 10n;
  while (p <= n) p *= 10n;
  return p;
}

/**
 * Uses up transaction ids (one tiny committed transaction each, inside one DO block) until the
 * next one is at least `target`.
 */
export async function burnTransactionIdsUntil(sql: Sql, target: bigint): Promise<void> {
  for (;;) {
    const missing = target - (await nextTransactionId(sql));
    if (missing <= 0n) return;
    const n = missing > 50_000n ? 50_000 : Number(missing);
    await sql.query(`DO $$ BEGIN FOR i IN 1..${n} LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`);
  }
}
