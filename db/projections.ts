import type { SQL } from "drizzle-orm";
import type { Sql } from "./sql.ts";

/** An event as a command handler hands it to the store: a type and a JSON payload. */
export type NewEvent = { type: string; data: unknown };

/** The type of a stream is its id up to the first `-`: `organization-acme` is an organization stream. */
export const streamTypeOf = (streamId: string): string => streamId.slice(0, Math.max(0, streamId.indexOf("-")));

/** What one append changed in one stream, as a projection sees it inside the append's transaction. */
export type ProjectionChange<S> = {
  streamId: string;
  /** The fold of the stream at the expected version, and after the new events. */
  before: S;
  after: S;
  events: readonly NewEvent[];
  /** The stream's version after the append. */
  version: number;
};

/** A stream folded to its end, as replay hands it to a projection's rebuild. */
export type FoldedStream<S> = { streamId: string; state: S; version: number; position: number; recordedAt: string };

/** A difference replay found between a projection's live rows and the rows the log folds into. */
export type ProjectionDifference = Record<string, unknown> & { field: string; live: unknown; replayed: unknown };

/** How replay rebuilds a projection from the folded streams of its type and compares it with the live one. */
export type Rebuild<S, Row> = {
  /** The projection's rows folded from the log, by key. */
  rows(streams: Iterable<FoldedStream<S>>): Map<string, Row>;
  /** The live rows, by the same key, read in replay's snapshot. */
  live(tx: Sql): Promise<Map<string, Row>>;
  /** What differs between two rows of one key (a missing row included). */
  compare(key: string, live: Row | undefined, replayed: Row | undefined): ProjectionDifference[];
  /** Replaces the live rows with `rows`, in replay's transaction. */
  swapIn(tx: Sql, rows: Map<string, Row>): Promise<void>;
  /** Figures for replay's report, e.g. `{ organizations: 12, identifiers: 30 }`. */
  counts(rows: Map<string, Row>): Record<string, number>;
};

/**
 * A projection registered beside the store for one stream type, applied in every append to a
 * stream of that type and rebuilt by replay. It folds the stream with the domain's own `evolve`.
 * Its writes come in two forms: a CTE of the one-statement append (cheap: no extra round trip)
 * and further statements in the same transaction, run only when `writes` says so.
 */
export type Projection<S = unknown, Row = unknown> = {
  streamType: string;
  initialState: S;
  evolve(state: S, event: NewEvent): S;
  /**
   * A data-modifying CTE of the append statement: a drizzle `sql` template whose values are
   * `sql.placeholder(...)`s (names of the projection's own, e.g. `org_id`), so the statement's
   * text is built once and reused; `values` gives them for a change, or null to write nothing.
   * It may read the CTEs `inserted` (the new events' rows) and `recorded` (their time, `at`).
   */
  inStatement?: { sql: SQL; values(change: ProjectionChange<S>): Record<string, unknown> | null };
  /** Whether `write` has anything to do for this change: the append then opens a transaction. */
  writes?(change: ProjectionChange<S>): boolean;
  write?(tx: Sql, change: ProjectionChange<S>): Promise<void>;
  rebuild: Rebuild<S, Row>;
};

export const fold = <S>(projection: Pick<Projection<S>, "evolve" | "initialState">, events: readonly NewEvent[], from?: S): S =>
  events.reduce(projection.evolve, from ?? projection.initialState);
