import { sql as q } from "drizzle-orm";
import { utcMicroseconds, type EventRow } from "./event-rows.ts";
import { ormOf } from "./orm.ts";
import { events as e } from "./schema.ts";
import { streamTypeOf, type FoldedStream, type Projection, type ProjectionDifference } from "./projections.ts";
import type { Sql } from "./sql.ts";

export type { ProjectionDifference };
/** What replay found: the events it folded, each projection's figures, and every difference (up to a bound). */
export type ReplayReport = {
  events: number;
  durationMs: number;
  matched: boolean;
  differences: ProjectionDifference[];
  swapped: boolean;
} & Record<string, number | boolean | ProjectionDifference[]>;

const PAGE = 20_000;
const MAX_DIFFERENCES = 100;

/**
 * Folds the whole log with each registered projection's `evolve` (the same as the live path)
 * and compares the result with the live projections, in one snapshot. With `swap`, appends are
 * held off (EXCLUSIVE lock on `streams`, which every append updates) and the results replace the
 * live rows in the same transaction: a reader sees the old projections or the new ones. Events of
 * a stream type no projection is registered for are counted and otherwise left alone.
 */
export async function replayProjections(sql: Sql, projections: readonly Projection<any, any>[], options: { swap: boolean }): Promise<ReplayReport> {
  const started = performance.now();
  return sql.transaction(async (tx) => {
    await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    await tx.query("SET LOCAL statement_timeout = '10min'");
    if (options.swap) await tx.query("LOCK TABLE streams IN EXCLUSIVE MODE");
    const { folded, events } = await foldLog(tx, projections);
    const differences: ProjectionDifference[] = [];
    let counts: Record<string, number> = {};
    for (const projection of projections) {
      const rebuild = projection.rebuild;
      const replayed = rebuild.rows(folded.get(projection.streamType)!.values());
      const live = await rebuild.live(tx);
      for (const key of new Set([...live.keys(), ...replayed.keys()])) differences.push(...rebuild.compare(key, live.get(key), replayed.get(key)));
      if (options.swap) await rebuild.swapIn(tx, replayed);
      counts = { ...counts, ...rebuild.counts(replayed) };
    }
    return {
      events,
      ...counts,
      durationMs: Math.round(performance.now() - started),
      matched: differences.length === 0,
      differences: differences.slice(0, MAX_DIFFERENCES),
      swapped: options.swap,
    };
  });
}

async function foldLog(tx: Sql, projections: readonly Projection<any, any>[]): Promise<{ folded: Map<string, Map<string, FoldedStream<unknown>>>; events: number }> {
  const byType = new Map(projections.map((p) => [p.streamType, p]));
  const folded = new Map(projections.map((p) => [p.streamType, new Map<string, FoldedStream<unknown>>()]));
  let after = 0;
  let events = 0;
  for (;;) {
    // A sql template, not a typed select: drizzle maps a selected row in microseconds, which a
    // replay of a million events cannot afford; the row type is still the schema's.
    const page = await ormOf(tx).execute<Pick<EventRow, "position" | "streamId" | "streamVersion" | "type" | "data" | "recordedAt">>(
      q`SELECT ${e.position}, ${e.streamId} AS "streamId", ${e.streamVersion} AS "streamVersion", ${e.type}, ${e.data}, ${utcMicroseconds(e.recordedAt)} AS "recordedAt"
          FROM ${e} WHERE ${e.position} > ${after} ORDER BY ${e.position} LIMIT ${PAGE}`,
    );
    for (const row of page) {
      const type = streamTypeOf(row.streamId);
      const projection = byType.get(type);
      if (!projection) continue;
      const streams = folded.get(type)!;
      const previous = streams.get(row.streamId);
      const state = projection.evolve(previous ? previous.state : projection.initialState, { type: row.type, data: row.data });
      streams.set(row.streamId, { streamId: row.streamId, state, version: row.streamVersion, position: Number(row.position), recordedAt: row.recordedAt });
    }
    events += page.length;
    if (page.length < PAGE) return { folded, events };
    after = Number(page.at(-1)!.position);
  }
}
