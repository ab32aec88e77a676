import { sql } from "drizzle-orm";
import { DomainError } from "../../shared/errors.ts";
import type { Projection } from "../../db/projections.ts";
import type { Sql } from "../../db/sql.ts";

/**
 * A second stream type for the store's contract suite, used only by tests: `tally-<id>` streams
 * of `Added {amount}` events, projected into `tallies` (created by `createTallyTable`). Its
 * in-statement CTE keeps the running total; its extra write refuses a total above 100, so a test
 * can see a projection's refusal roll the events back.
 */
export type TallyState = { total: number };
type TallyRow = { streamId: string; total: number; version: number };

export const createTallyTable = (sql: Sql) =>
  sql.query("CREATE TABLE IF NOT EXISTS tallies (stream_id text PRIMARY KEY, total int NOT NULL, version int NOT NULL)");

export const tallyProjection: Projection<TallyState, TallyRow> = {
  streamType: "tally",
  initialState: { total: 0 },
  evolve: (state, event) => (event.type === "Added" ? { total: state.total + (event.data as { amount: number }).amount } : state),
  inStatement: {
    sql: sql`INSERT INTO tallies (stream_id, total, version) VALUES (${sql.placeholder("tally_stream")}, ${sql.placeholder("tally_total")}::int, ${sql.placeholder("version")}::int)
        ON CONFLICT (stream_id) DO UPDATE SET total = excluded.total, version = excluded.version RETURNING 1`,
    values: (change) => ({ tally_stream: change.streamId, tally_total: change.after.total }),
  },
  writes: (change) => change.after.total > 100,
  write: async () => {
    throw new DomainError("invalid_request", "a tally never goes above 100");
  },
  rebuild: {
    rows: (streams) => new Map([...streams].map((s) => [s.streamId, { streamId: s.streamId, total: s.state.total, version: s.version }])),
    live: async (tx) =>
      new Map((await tx.query<{ stream_id: string; total: number; version: number }>("SELECT stream_id, total, version FROM tallies")).map((r) => [r.stream_id, { streamId: r.stream_id, total: r.total, version: r.version }])),
    compare: (key, live, replayed) => (JSON.stringify(live) === JSON.stringify(replayed) ? [] : [{ streamId: key, field: "(row)", live, replayed }]),
    swapIn: async (tx, rows) => {
      await tx.query("DELETE FROM tallies");
      for (const r of rows.values()) await tx.query("INSERT INTO tallies (stream_id, total, version) VALUES ($1, $2, $3)", [r.streamId, r.total, r.version]);
    },
    counts: (rows) => ({ tallies: rows.size }),
  },
};
