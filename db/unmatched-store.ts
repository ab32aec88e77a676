import type { UnmatchedKind, UnmatchedRow } from "../shared/login-outcomes.ts";
import type { Sql } from "./sql.ts";

/** Counts stop here (as on the routers): never an overflow, still in order. */
const COUNT_CEILING = 1_000_000_000;
/** Rows kept per kind: the most frequent, then the longest known. */
export const KEPT_PER_KIND = 1000;

export type StoredUnmatched = { kind: UnmatchedKind; value: string; requestKind: string; provider: string; count: number; firstSeen: string; lastSeen: string };

/** Unmatched traffic (migration 0003): what routers saw that named no organization, bounded per kind. */
export function unmatchedStore(db: Sql, options: { keptPerKind?: number } = {}) {
  const kept = options.keptPerKind ?? KEPT_PER_KIND;
  return {
    /** Adds a batch; a value linked since is not kept; past `keptPerKind` per kind, the least seen go. */
    async record(rows: readonly UnmatchedRow[]): Promise<void> {
      if (rows.length === 0) return;
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO unmatched_identifiers (kind, value, request_kind, provider, count, first_seen, last_seen)
           SELECT r.kind, r.value, (array_agg(r.request_kind ORDER BY r.last_seen DESC))[1], (array_agg(r.provider ORDER BY r.last_seen DESC))[1],
                  LEAST($2::bigint, sum(r.count)), to_timestamp(min(r.first_seen) / 1000.0), to_timestamp(max(r.last_seen) / 1000.0)
             FROM jsonb_to_recordset($1::jsonb) AS r(kind text, value text, request_kind text, provider text, count bigint, first_seen bigint, last_seen bigint)
            WHERE NOT EXISTS (SELECT 1 FROM identifiers i WHERE i.kind = r.kind AND i.value = r.value)
            GROUP BY r.kind, r.value
           ON CONFLICT ON CONSTRAINT unmatched_identifiers_pkey DO UPDATE SET
             count = LEAST($2::bigint, unmatched_identifiers.count + excluded.count),
             first_seen = LEAST(unmatched_identifiers.first_seen, excluded.first_seen),
             last_seen = GREATEST(unmatched_identifiers.last_seen, excluded.last_seen),
             request_kind = excluded.request_kind,
             provider = excluded.provider`,
          [rows.map((r) => ({ kind: r.kind, value: r.value, request_kind: r.requestKind, provider: r.provider, count: r.count, first_seen: r.firstSeen, last_seen: r.lastSeen })), COUNT_CEILING],
        );
        await tx.query(
          `DELETE FROM unmatched_identifiers u USING (
             SELECT kind, value, row_number() OVER (PARTITION BY kind ORDER BY count DESC, first_seen, value) AS rank FROM unmatched_identifiers
           ) ranked
           WHERE ranked.kind = u.kind AND ranked.value = u.value AND ranked.rank > $1`,
          [kept],
        );
      });
    },
    /** Most frequent first; values linked to an organization since are cleared first. */
    async list(filter: { kind?: UnmatchedKind; limit: number }): Promise<StoredUnmatched[]> {
      await db.query("DELETE FROM unmatched_identifiers u USING identifiers i WHERE i.kind = u.kind AND i.value = u.value");
      const rows = await db.query<{ kind: UnmatchedKind; value: string; request_kind: string; provider: string; count: number; first_seen: Date | string; last_seen: Date | string }>(
        `SELECT kind, value, request_kind, provider, count, first_seen, last_seen FROM unmatched_identifiers
          ${filter.kind ? "WHERE kind = $2" : ""} ORDER BY count DESC, first_seen, kind, value LIMIT $1`,
        filter.kind ? [filter.limit, filter.kind] : [filter.limit],
      );
      return rows.map((r) => ({ kind: r.kind, value: r.value, requestKind: r.request_kind, provider: r.provider, count: r.count, firstSeen: new Date(r.first_seen).toISOString(), lastSeen: new Date(r.last_seen).toISOString() }));
    },
  };
}

export type UnmatchedStore = ReturnType<typeof unmatchedStore>;
