import { VersionConflict } from "../shared/errors.ts";
import type { LogEventType } from "../shared/log-events.ts";
import { EVENT_SCHEMA_VERSION, type EventMetadata, type EventType, type OrganizationEvent, type RecordedEvent } from "../shared/events.ts";
import { translateAppendError } from "./constraint-errors.ts";
import { and, asc, desc, eq, fillPlaceholders, inArray, lte, sql as q, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { EVENT_FIELDS, EVENT_RETURNING, toRecordedEvent, type EventRow } from "./event-rows.ts";
import { ormOf, preparedOn } from "./orm.ts";
import { events as eventsTable, streams as streamsTable } from "./schema.ts";
import { findIdempotencyKey, withIdempotencyKey, type Claimed, type IdempotencyClaim, type IdempotencyRecord } from "./idempotency.ts";
import { listOrganizations, organizationProjection, readOrganization, type OrganizationFilter, type OrganizationView } from "./organization-projection.ts";
import { fold, streamTypeOf, type NewEvent, type Projection, type ProjectionChange } from "./projections.ts";
import { acquireLease, releaseLease } from "./leases.ts";
import { listWaves, readWave, waveProjection, type WaveView } from "./wave-projection.ts";
import { replayProjections, type ReplayReport } from "./replay.ts";
import type { Database, Sql } from "./sql.ts";
import { migrate } from "./migrate.ts";

export type { Claimed, IdempotencyClaim, IdempotencyRecord, NewEvent };

/** Who asked, why, through which request: recorded with every event of one append. */
export type AppendMetadata = Omit<EventMetadata, "schemaVersion">;

export type AppendOptions = {
  /**
   * The fold of the stream at `expectedVersion`, when the caller already has it (a command
   * handler does): the projections are written from it plus the events without reading the
   * stream again. Without it, the store reads the stream itself.
   */
  state?: unknown;
};

export type AppendResult = { version: number; position: number; events: RecordedEvent[] };

/** Where a log reader stands: (transaction id, position), the order in which the log is read. */
export type LogCursor = { transactionId: string; position: number };
export const LOG_START: LogCursor = { transactionId: "0", position: 0 };

/** A page of the log; `hasMore` is false when the page ends at the last readable event. */
export type LogPage = { events: RecordedEvent[]; next: LogCursor; hasMore: boolean };

export type LogQuery = {
  after: LogCursor;
  limit: number;
  streamId?: string;
  types?: LogEventType[];
  /** Exact instants (ISO 8601 with up to microseconds), compared at the precision they are stored with. */
  since?: string;
  until?: string;
};

/** A point in the past: a global position, or an exact instant (ISO 8601, up to microseconds). */
export type PointInTime = { position: number } | { time: string };

/** Reading and appending streams of any type: on the store itself, or inside an idempotent transaction. */
export type Streams = {
  /** `E`: the events of the stream's type (organization events unless said). */
  readStream<E extends NewEvent = OrganizationEvent>(streamId: string, upTo?: PointInTime): Promise<RecordedEvent<E>[]>;
  /**
   * Appends `events` to the stream if it is at `expectedVersion` (0: the stream must not exist
   * yet), else fails with version_conflict and appends nothing. The projection registered for
   * the stream's type is written in the same transaction.
   */
  appendToStream(streamId: string, expectedVersion: number, events: readonly NewEvent[], metadata: AppendMetadata, options?: AppendOptions): Promise<AppendResult>;
};

export type EventStore = Streams & {
  readonly kind: Database["kind"];
  /**
   * Runs `work` at most once per caller and key (see `withIdempotencyKey`): its reads and
   * appends share the transaction that claimed the key; a retry gets the stored result.
   */
  withIdempotencyKey<T>(claim: IdempotencyClaim, work: (streams: Streams) => Promise<T>): Promise<Claimed<T>>;
  findIdempotencyKey(subject: string, key: string): Promise<IdempotencyRecord | null>;
  /** Forgets idempotency keys older than `maxAgeHours`; returns how many. */
  expireIdempotencyKeys(maxAgeHours: number): Promise<number>;
  readLog(query: LogQuery): Promise<LogPage>;
  /** The last `limit` events committed, newest first (a glance for the console: no cursor, no horizon). */
  readRecent(limit: number): Promise<RecordedEvent[]>;
  getOrganization(id: string): Promise<OrganizationView | null>;
  listOrganizations(filter: OrganizationFilter): Promise<OrganizationView[]>;
  /** How many organizations each provider serves (the console's progress toward the target). */
  countOrganizationsByProvider(): Promise<Map<string, number>>;
  getWave(id: string): Promise<WaveView | null>;
  /** A named lease for one runner among replicas (see db/leases.ts). */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  listWaves(filter?: { status?: string[] }): Promise<WaveView[]>;
  /** Folds the log into every registered projection and compares (and with `swap`, replaces) them. */
  replay(options: { swap: boolean }): Promise<ReplayReport>;
  close(): Promise<void>;
};

/** The projections every store carries; `openEventStore` takes more beside them. */
export const DEFAULT_PROJECTIONS: readonly Projection<any, any>[] = [organizationProjection, waveProjection];

export async function openEventStore(db: Database, options: { projections?: readonly Projection<any, any>[] } = {}): Promise<EventStore> {
  await migrate(db);
  const projections = options.projections ?? DEFAULT_PROJECTIONS;
  const registry = new Map(projections.map((p) => [p.streamType, p]));
  if (registry.size !== projections.length) throw new Error("two projections registered for one stream type");
  const streams = (sql: Sql, inTransaction: boolean): Streams => ({
    readStream: <E extends NewEvent>(streamId: string, upTo?: PointInTime) => readStream(sql, streamId, upTo) as Promise<RecordedEvent<E>[]>,
    appendToStream: (streamId, expectedVersion, events, metadata, appendOptions = {}) =>
      appendToStream(sql, inTransaction, registry.get(streamTypeOf(streamId)), { streamId, expectedVersion, events, metadata, ...appendOptions }),
  });
  return {
    kind: db.kind,
    ...streams(db, false),
    withIdempotencyKey: (claim, work) => withIdempotencyKey(db, claim, (tx) => work(streams(tx, true))),
    findIdempotencyKey: (subject, key) => findIdempotencyKey(db, subject, key),
    expireIdempotencyKeys: async (maxAgeHours) =>
      (await db.query("DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1::int) RETURNING 1", [maxAgeHours])).length,
    readLog: (query) => readLog(db, query),
    readRecent: async (limit) => (await ormOf(db).select(EVENT_FIELDS).from(eventsTable).orderBy(desc(eventsTable.position)).limit(limit)).map(toRecordedEvent),
    getOrganization: (id) => readOrganization(db, id),
    listOrganizations: (filter) => listOrganizations(db, filter),
    countOrganizationsByProvider: async () =>
      new Map((await db.query<{ provider: string; n: number }>("SELECT provider, count(*)::float8 AS n FROM organizations GROUP BY provider")).map((r) => [r.provider, r.n])),
    getWave: (id) => readWave(db, id),
    acquireLease: (name, holder, ttlMs) => acquireLease(db, name, holder, ttlMs),
    releaseLease: (name, holder) => releaseLease(db, name, holder),
    listWaves: (filter) => listWaves(db, filter),
    replay: (replayOptions) => replayProjections(db, projections, replayOptions),
    close: () => db.close(),
  };
}

/**
 * The stream as it was at a position, or at an instant: events recorded at or before it, compared
 * at the microsecond precision `recordedAt` is stored and shown with. A stream's recorded times
 * strictly increase (see `appendStatement`), so "as of" an event's shown time is exactly up to
 * that event. Instants travel as text: postgres.js would serialize a timestamptz parameter
 * through a JavaScript Date and drop the microseconds.
 */
async function readStream(sql: Sql, streamId: string, upTo?: PointInTime): Promise<RecordedEvent[]> {
  if (upTo === undefined) return (await readWholeStream(sql).execute({ streamId })).map(toRecordedEvent);
  const bound = "position" in upTo ? lte(eventsTable.position, upTo.position) : q`${eventsTable.recordedAt} <= ${upTo.time}::text::timestamptz`;
  const rows = await ormOf(sql).select(EVENT_FIELDS).from(eventsTable).where(and(eq(eventsTable.streamId, streamId), bound)).orderBy(asc(eventsTable.streamVersion));
  return rows.map(toRecordedEvent);
}

/** Every command reads its stream whole: that query is built once per connection. */
const readWholeStream = (sql: Sql) =>
  preparedOn(sql, "read_stream", (orm) =>
    orm.select(EVENT_FIELDS).from(eventsTable).where(eq(eventsTable.streamId, q.placeholder("streamId"))).orderBy(asc(eventsTable.streamVersion)).prepare("read_stream"),
  );

type Append = { streamId: string; expectedVersion: number; events: readonly NewEvent[]; metadata: AppendMetadata; state?: unknown };

/**
 * One append: the events and the projection's in-statement write go in one statement; when the
 * projection has more to write, that statement and those writes share one transaction, otherwise
 * the statement alone is the transaction (one round trip). Constraint errors leave `db/` as
 * domain codes.
 */
async function appendToStream(sql: Sql, inTransaction: boolean, projection: Projection | undefined, append: Append): Promise<AppendResult> {
  try {
    const change = projection ? await changeOf(sql, projection, append) : undefined;
    const needsTransaction = !inTransaction && change !== undefined && (projection!.writes?.(change) ?? false);
    const run = async (tx: Sql) => {
      const result = await appendStatement(tx, append, projection, change);
      if (projection?.write && change && projection.writes?.(change)) await projection.write(tx, change);
      return result;
    };
    return needsTransaction ? await sql.transaction(run) : await run(sql);
  } catch (error) {
    throw translateAppendError(error, append.streamId, append.expectedVersion);
  }
}

async function changeOf(sql: Sql, projection: Projection, append: Append): Promise<ProjectionChange<unknown>> {
  const before =
    "state" in append && append.state !== undefined
      ? append.state
      : fold(projection, (await readStream(sql, append.streamId)).filter((e) => e.streamVersion <= append.expectedVersion));
  return { streamId: append.streamId, before, after: fold(projection, append.events, before), events: append.events, version: append.expectedVersion + append.events.length };
}

/**
 * Advance the stream row from the expected version (zero rows: someone else appended first),
 * insert the events and run the projection's CTE, all in one statement. The events are recorded
 * at the statement's time, but always at least a microsecond after the stream's previous event
 * (PGlite's clock ticks in milliseconds; wall clocks step back), so time travel within a stream
 * is never ambiguous.
 */
async function appendStatement(sql: Sql, append: Append, projection: Projection | undefined, change: ProjectionChange<unknown> | undefined): Promise<AppendResult> {
  const { streamId, expectedVersion, events } = append;
  const version = expectedVersion + events.length;
  const metadata = { ...append.metadata, schemaVersion: EVENT_SCHEMA_VERSION };
  const projected = projection?.inStatement && change ? projection.inStatement.values(change) : null;
  const statement = appendQuery(expectedVersion === 0, projected ? projection : undefined);
  // jsonb values are passed as values, never pre-serialized strings: drivers serialize them once.
  const values = { streamId, expectedVersion, version, events, metadata, ...projected };
  const rows = await sql.query<EventRow>(statement.sql, fillPlaceholders(statement.params, values));
  if (rows.length === 0) {
    const current = await ormOf(sql).select({ version: streamsTable.version }).from(streamsTable).where(eq(streamsTable.streamId, streamId));
    throw new VersionConflict(streamId, expectedVersion, current[0]?.version ?? null);
  }
  const recorded = rows.map(toRecordedEvent).sort((a, b) => a.streamVersion - b.streamVersion);
  return { version, position: recorded.at(-1)!.position, events: recorded };
}

const dialect = new PgDialect();
const appendQueries = new Map<string, { sql: string; params: unknown[] }>();

/**
 * The append statement, a drizzle `sql` template with placeholders, built into text once per
 * shape (new stream or not, which projection's CTE) and run through the driver adapter with
 * the values filled in: building a template costs tens of microseconds, every append would pay it.
 */
function appendQuery(newStream: boolean, projection: Projection | undefined): { sql: string; params: unknown[] } {
  const key = `${newStream}:${projection?.streamType ?? ""}`;
  const cached = appendQueries.get(key);
  if (cached) return cached;
  const p = q.placeholder;
  const advance = newStream
    ? q`INSERT INTO streams (stream_id, version) VALUES (${p("streamId")}, ${p("version")}) ON CONFLICT DO NOTHING RETURNING version`
    : q`UPDATE streams SET version = ${p("version")} WHERE stream_id = ${p("streamId")} AND version = ${p("expectedVersion")} RETURNING version`;
  const template = q`WITH advanced AS (${advance}
     ), recorded AS (
       SELECT GREATEST(statement_timestamp(),
                       (SELECT e.recorded_at + interval '1 microsecond' FROM events e WHERE e.stream_id = ${p("streamId")} AND e.stream_version = ${p("expectedVersion")}::int)) AS at
     ), inserted AS (
       INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata, recorded_at)
       SELECT ${p("streamId")}, ${p("expectedVersion")}::int + n::int, gen_random_uuid(), e.event->>'type', e.event->'data', ${p("metadata")}::jsonb, (SELECT at FROM recorded)
         FROM jsonb_array_elements(${p("events")}::jsonb) WITH ORDINALITY AS e(event, n)
        WHERE EXISTS (SELECT 1 FROM advanced)
       RETURNING ${q.raw(EVENT_RETURNING)}
     )${projection?.inStatement ? q`, projected AS (${projection.inStatement.sql})` : q``}
     SELECT * FROM inserted`;
  const built = dialect.sqlToQuery(template);
  appendQueries.set(key, built);
  return built;
}

/**
 * Follows the log in (transaction id, position) order, only below the oldest transaction still
 * running: an event whose transaction commits late with a lower position is read when it
 * commits, never skipped by a cursor that already moved past its position. Transaction ids are
 * compared and sorted as xid8 (qualified column names: never an output alias), never as text.
 */
async function readLog(sql: Sql, query: LogQuery): Promise<LogPage> {
  const e = eventsTable;
  const conditions: (SQL | undefined)[] = [
    q`${e.transactionId} < pg_snapshot_xmin(pg_current_snapshot())`,
    q`(${e.transactionId}, ${e.position}) > (${query.after.transactionId}::xid8, ${query.after.position}::int8)`,
    query.streamId !== undefined ? eq(e.streamId, query.streamId) : undefined,
    query.types !== undefined ? inArray(e.type, query.types) : undefined,
    query.since !== undefined ? q`${e.recordedAt} >= ${query.since}::text::timestamptz` : undefined,
    query.until !== undefined ? q`${e.recordedAt} < ${query.until}::text::timestamptz` : undefined,
  ];
  const rows = await ormOf(sql)
    .select(EVENT_FIELDS)
    .from(e)
    .where(and(...conditions))
    .orderBy(asc(e.transactionId), asc(e.position))
    .limit(query.limit + 1);
  const events = rows.slice(0, query.limit).map(toRecordedEvent);
  const last = events.at(-1);
  return { events, next: last ? { transactionId: last.transactionId, position: last.position } : query.after, hasMore: rows.length > query.limit };
}
