import { and, eq } from "drizzle-orm";
import { ormOf } from "./orm.ts";
import { idempotencyKeys } from "./schema.ts";
import type { Sql } from "./sql.ts";

/** An HTTP answer stored under a key before keys stored results: returned again as it was sent. */
export type StoredAnswer = { status: number; body: unknown };

/** What a key holds: the result of the command it ran, or (keys older than results) the answer first sent. */
export type IdempotencyRecord = { fingerprint: string } & ({ result: unknown } | StoredAnswer);

/** Whose key (the token's `sub`), which key, and what makes two requests "the same". */
export type IdempotencyClaim = { subject: string; key: string; fingerprint: string };

/** The work ran here and then (`result`), or a request with the same key had already run. */
export type Claimed<T> = { replayed: false; result: T } | { replayed: true; record: IdempotencyRecord };

/**
 * Runs `work` at most once per (subject, key), in one transaction that first claims the key:
 * the claim is a row inserted before anything is read, so a concurrent request with the same key
 * waits on it (PostgreSQL makes a conflicting insert wait for the inserting transaction) and then
 * reads the committed result, and the work's reads of the stream come after the claim, never
 * from an older snapshot. If the first request fails or its process dies, its claim rolls back
 * and the waiting retry runs the work itself. The result is stored as JSON text and handed back
 * as that text parses, to the first caller as to every retry: they all build the same answer.
 */
export async function withIdempotencyKey<T>(db: Sql, claim: IdempotencyClaim, work: (tx: Sql) => Promise<T>): Promise<Claimed<T>> {
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
      const result = JSON.stringify(await work(tx));
      await tx.query("UPDATE idempotency_keys SET result = $3 WHERE subject = $1 AND key = $2", [subject, key, result]);
      return { replayed: false, result: JSON.parse(result) as T };
    });
    if (outcome) return outcome;
    // The key expired between our conflicting claim and the read: claim it again.
    if (attempt >= 3) throw new Error(`idempotency key ${key} could neither be claimed nor read`);
  }
}

export async function findIdempotencyKey(sql: Sql, subject: string, key: string): Promise<IdempotencyRecord | null> {
  const k = idempotencyKeys;
  const rows = await ormOf(sql)
    .select({ fingerprint: k.fingerprint, status: k.status, body: k.body, result: k.result })
    .from(k)
    .where(and(eq(k.subject, subject), eq(k.key, key)));
  const row = rows[0];
  if (!row) return null;
  return row.result !== null ? { fingerprint: row.fingerprint, result: JSON.parse(row.result) } : { fingerprint: row.fingerprint, status: row.status, body: JSON.parse(row.body) };
}
