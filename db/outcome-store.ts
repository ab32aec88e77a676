import { DURATION_BUCKETS, type Outcome, type OutcomeRow, type UnmatchedRow } from "../shared/login-outcomes.ts";
import type { Sql } from "./sql.ts";

/** A stored outcome row; `minute` in minutes since the epoch; organizationId null for unmatched traffic. */
export type StoredOutcome = { organizationId: string | null; provider: string; minute: number; outcome: Outcome; code: string; count: number; durations: number[] | null };

export type OutcomeQuery = { organizationId?: string; sinceMinute: number };

/**
 * The login outcome table (migration 0003): routers' counts, added up. Raw SQL through the small
 * `Sql` surface so the same code runs on PostgreSQL and PGlite.
 */
export function outcomeStore(db: Sql) {
  return {
    /** Adds a batch's counts in one statement (rows with the same key are merged first: ON CONFLICT may touch a row once). */
    async record(rows: readonly OutcomeRow[]): Promise<void> {
      if (rows.length === 0) return;
      await db.query(
        `INSERT INTO login_outcomes (organization_id, provider, minute, outcome, code, count, durations)
         SELECT r.organization_id, r.provider, to_timestamp(r.minute * 60), r.outcome, r.code, r.count, r.durations
           FROM jsonb_to_recordset($1::jsonb) AS r(organization_id text, provider text, minute bigint, outcome text, code text, count bigint, durations integer[])
         ON CONFLICT ON CONSTRAINT login_outcomes_pkey DO UPDATE SET
           count = login_outcomes.count + excluded.count,
           durations = CASE
             WHEN login_outcomes.durations IS NULL THEN excluded.durations
             WHEN excluded.durations IS NULL THEN login_outcomes.durations
             ELSE ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0) FROM unnest(login_outcomes.durations, excluded.durations) AS u(a, b))
           END`,
        [merged(rows)],
      );
    },
    async read(query: OutcomeQuery): Promise<StoredOutcome[]> {
      const byOrganization = query.organizationId !== undefined;
      const rows = await db.query<{ organization_id: string; provider: string; minute: number; outcome: Outcome; code: string; count: number; durations: number[] | null }>(
        `SELECT organization_id, provider, (extract(epoch FROM minute) / 60)::float8 AS minute, outcome, code, count, durations
           FROM login_outcomes WHERE minute >= to_timestamp($1::bigint * 60) ${byOrganization ? "AND organization_id = $2" : ""}
          ORDER BY minute`,
        byOrganization ? [query.sinceMinute, query.organizationId] : [query.sinceMinute],
      );
      return rows.map((r) => ({ organizationId: r.organization_id === "" ? null : r.organization_id, provider: r.provider, minute: r.minute, outcome: r.outcome, code: r.code, count: r.count, durations: r.durations }));
    },
    /** Retention: forgets minutes older than `days`; returns how many rows. */
    async expire(days: number): Promise<number> {
      return (await db.query("DELETE FROM login_outcomes WHERE minute < now() - make_interval(days => $1::int) RETURNING 1", [days])).length;
    },
    /** How many organizations each provider serves, from the projection. */
    async organizationsByProvider(): Promise<Map<string, number>> {
      const rows = await db.query<{ provider: string; n: number }>("SELECT provider, count(*)::float8 AS n FROM organizations GROUP BY provider");
      return new Map(rows.map((r) => [r.provider, r.n]));
    },
  };
}

export type OutcomeStore = ReturnType<typeof outcomeStore>;

function merged(rows: readonly OutcomeRow[]) {
  const byKey = new Map<string, { organization_id: string; provider: string; minute: number; outcome: string; code: string; count: number; durations: number[] | null }>();
  for (const row of rows) {
    const key = `${row.organizationId ?? ""}\u0000${row.provider}\u0000${row.minute}\u0000${row.outcome}\u0000${row.code}`;
    const existing = byKey.get(key);
    if (!existing) {
      byKey.set(key, { organization_id: row.organizationId ?? "", provider: row.provider, minute: row.minute, outcome: row.outcome, code: row.code, count: row.count, durations: row.durations ? [...row.durations] : null });
      continue;
    }
    existing.count += row.count;
    if (row.durations) {
      existing.durations ??= new Array<number>(DURATION_BUCKETS).fill(0);
      row.durations.forEach((n, i) => (existing.durations![i]! += n));
    }
  }
  return [...byKey.values()];
}

export type { UnmatchedRow };
