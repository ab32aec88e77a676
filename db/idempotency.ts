import type { Sql } from "./sql.ts";

/** An answer stored under an Idempotency-Key, returned again to a retry. */
export type StoredAnswer = { status: number; body: unknown };
export type IdempotencyRecord = StoredAnswer & { fingerprint: string };

/** Whose key (the token's `sub`), which key, and what makes two requests "the same". */
export type IdempotencyClaim = { subject: string; key: string; fingerprint: string };

/** The work ran here and then (`answer`, `value`), or a request with the same key had already run. */
export type Claimed<T> = { replayed: false; answer: StoredAnswer; value: T } | { replayed: true; record: IdempotencyRecord };

/**
 * Runs `work` at most once per (subject, key), in one transaction that first claims the key:
 * the claim is a row inserted before anything is read, so a concurrent request with the same key
 * waits on it (PostgreSQL makes a conflicting insert wait for the inserting transaction) and then
 * reads the committed answer, and the work's reads of the stream come after the claim, never
 * from an older snapshot. If the first request fails or its process dies, its claim rolls back
 * and the waiting retry runs the work itself. The answer is stored as the JSON text the first
 * caller is sent, so a retry gets the same bytes.
 */
export async function withIdempotencyKey<T>(db: Sql, claim: IdempotencyClaim, work: (tx: Sql) => Promise<{ answer: StoredAnswer; value: T }>): Promise<Claimed<T>> {
  const { subject, key, fingerprint } = claim;
  for (let attempt = 1; ; attempt++) {
    const outcome = await db.transaction(async (tx): Promise<Claimed<T> | null> => {
      const claimed = await tx.query(
        "INSERT INTO idempotency_keys (subject, key, fingerprint, status, body) VALUES ($1, $2, $3, 0, '') ON CONFLICT DO NOTHING RETURNING 1",
        [subject, key, fingerprint],
      );
      if (claimed.length === 0) {
        const record = await findIdempotencyKey(tx, subject, key);
        return record ? { replayed: true, record } : null;
      }
      const { answer, value } = await work(tx);
      const body = JSON.stringify(answer.body);
      await tx.query("UPDATE idempotency_keys SET status = $3, body = $4 WHERE subject = $1 AND key = $2", [subject, key, answer.status, body]);
      return { replayed: false, answer: { status: answer.status, body: JSON.parse(body) }, value };
    });
    if (outcome) return outcome;
    // The key expired between our conflicting claim and the read: claim it again.
    if (attempt >= 3) throw new Error(`idempotency key ${key} could neither be claimed nor read`);
  }
}

export async function findIdempotencyKey(sql: Sql, subject: string, key: string): Promise<IdempotencyRecord | null> {
  const rows = await sql.query<{ fingerprint: string; status: number; body: string }>(
    "SELECT fingerprint, status, body FROM idempotency_keys WHERE subject = $1 AND key = $2",
    [subject, key],
  );
  const row = rows[0];
  return row ? { fingerprint: row.fingerprint, status: row.status, body: JSON.parse(row.body) } : null;
}
