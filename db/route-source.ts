import type { Identifier } from "../shared/identifiers.ts";
import type { Sql } from "./sql.ts";

/** One organization's routing facts, as the router holds them. */
export type RouteRow = { organizationId: string; provider: string; identifiers: Identifier[] };

/**
 * What a router has read: every projection row written by a transaction below `horizon` (an
 * xid8, as text). Rows change only inside append transactions, so the next read asks for rows
 * whose transaction id is at or above the old horizon and below the new one, and misses none,
 * whatever order their transactions committed in.
 */
export type RouteSnapshot = { rows: RouteRow[]; horizon: string; position: number };

export type RouteSource = {
  /** Everything, with the horizon and head position of the same snapshot. */
  loadAll(): Promise<RouteSnapshot>;
  /** Rows changed since `horizon`, in one query. */
  changesSince(horizon: string): Promise<RouteSnapshot>;
};

type Row = { id: string | null; provider: string | null; identifiers: Identifier[] | null; horizon: string; position: number | null };

const SELECT = (where: string) => `
  WITH snapshot AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon),
       changed AS (SELECT o.id, o.provider FROM organizations o, snapshot s ${where})
  SELECT c.id, c.provider,
         (SELECT jsonb_agg(jsonb_build_object('kind', i.kind, 'value', i.value)) FROM identifiers i WHERE i.organization_id = c.id) AS identifiers,
         s.horizon,
         (SELECT max(position) FROM events WHERE transaction_id < s.horizon) AS position
    FROM snapshot s LEFT JOIN changed c ON true`;

export function routeSource(sql: Sql): RouteSource {
  const read = async (text: string, params: unknown[]): Promise<RouteSnapshot> => {
    const rows = await sql.query<Row>(text, params);
    return {
      rows: rows.filter((r) => r.id !== null).map((r) => ({ organizationId: r.id!, provider: r.provider!, identifiers: r.identifiers ?? [] })),
      horizon: String(rows[0]!.horizon),
      position: Number(rows[0]!.position ?? 0),
    };
  };
  return {
    loadAll: () => read(SELECT(""), []),
    changesSince: (horizon) =>
      read(SELECT("WHERE o.transaction_id >= $1::xid8 AND o.transaction_id < s.horizon"), [horizon]),
  };
}
