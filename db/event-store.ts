import { CodedError, VersionConflict } from "../shared/errors.ts";
import { EVENT_SCHEMA_VERSION, type EventMetadata, type EventType, type OrganizationEvent, type RecordedEvent } from "../shared/events.ts";
import { fold, type OrganizationState } from "../shared/organization.ts";
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from "./event-rows.ts";
import { listOrganizations, readOrganization, writeOrganization, type OrganizationFilter, type OrganizationView } from "./projection.ts";
import { replayProjection, type ReplayReport } from "./replay.ts";
import type { Database, Sql } from "./sql.ts";
import { migrate } from "./migrate.ts";

/** An answer stored under an Idempotency-Key, returned again to a retry. */
export type StoredAnswer = { status: number; body: unknown };
export type IdempotencyRecord = StoredAnswer & { fingerprint: string };

export type AppendRequest = {
  streamId: string;
  /** The version the caller decided on; 0 for a stream that must not exist yet. */
  expectedVersion: number;
  /** The fold of the stream at `expectedVersion`: the projection is written from it plus `events`. */
  before: OrganizationState;
  events: OrganizationEvent[];
  metadata: Omit<EventMetadata, "schemaVersion">;
  idempotency?: { key: string; fingerprint: string; answer: (result: AppendResult) => StoredAnswer };
};

export type AppendResult = { version: number; position: number; events: RecordedEvent[]; state: OrganizationState };

/** Another request with the same Idempotency-Key committed first; look the key up again. */
export class IdempotencyRace extends CodedError {
  constructor(key: string) {
    super("idempotency_race", `request with idempotency key ${key} committed concurrently`);
  }
}

/** Where a log reader stands: (transaction id, position), the order in which the log is read. */
export type LogCursor = { transactionId: string; position: number };
export const LOG_START: LogCursor = { transactionId: "0", position: 0 };

export type LogQuery = {
  after: LogCursor;
  limit: number;
  streamId?: string;
  types?: EventType[];
  since?: Date;
  until?: Date;
};

/** A point in the past: a global position, or a time. */
export type PointInTime = { position: number } | { time: Date };

export type EventStore = {
  readonly kind: Database["kind"];
  readStream(streamId: string, upTo?: PointInTime): Promise<RecordedEvent[]>;
  append(request: AppendRequest): Promise<AppendResult>;
  findIdempotencyKey(key: string): Promise<IdempotencyRecord | null>;
  readLog(query: LogQuery): Promise<{ events: RecordedEvent[]; next: LogCursor }>;
  getOrganization(id: string): Promise<OrganizationView | null>;
  listOrganizations(filter: OrganizationFilter): Promise<OrganizationView[]>;
  replay(options: { swap: boolean }): Promise<ReplayReport>;
  close(): Promise<void>;
};

export async function openEventStore(db: Database): Promise<EventStore> {
  await migrate(db);
  return {
    kind: db.kind,
    readStream: (streamId, upTo) => readStream(db, streamId, upTo),
    append: (request) => db.transaction((tx) => append(tx, request)),
    findIdempotencyKey: async (key) => {
      const rows = await db.query<IdempotencyRecord>("SELECT fingerprint, status, body FROM idempotency_keys WHERE key = $1", [key]);
      return rows[0] ?? null;
    },
    readLog: (query) => readLog(db, query),
    getOrganization: (id) => readOrganization(db, id),
    listOrganizations: (filter) => listOrganizations(db, filter),
    replay: (options) => replayProjection(db, options),
    close: () => db.close(),
  };
}

/** Times are shown with millisecond precision, so "as of" a shown time includes events recorded within that millisecond. */
async function readStream(sql: Sql, streamId: string, upTo?: PointInTime): Promise<RecordedEvent[]> {
  const bound = upTo === undefined ? "" : "position" in upTo ? "AND position <= $2" : "AND recorded_at < $2::timestamptz + interval '1 millisecond'";
  const params = upTo === undefined ? [streamId] : ["position" in upTo ? upTo.position : upTo.time.toISOString()];
  const rows = await sql.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 ${bound} ORDER BY stream_version`,
    upTo === undefined ? params : [streamId, ...params],
  );
  return rows.map(toRecordedEvent);
}

/**
 * One short transaction: advance the stream row from the expected version (zero rows: someone
 * else appended first), insert the events, write the projection, remember the idempotency key.
 */
async function append(tx: Sql, request: AppendRequest): Promise<AppendResult> {
  const { streamId, expectedVersion, events } = request;
  const version = expectedVersion + events.length;
  const advanced =
    expectedVersion === 0
      ? await tx.query("INSERT INTO streams (stream_id, version) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING version", [streamId, version])
      : await tx.query("UPDATE streams SET version = $3 WHERE stream_id = $1 AND version = $2 RETURNING version", [streamId, expectedVersion, version]);
  if (advanced.length === 0) {
    const current = await tx.query<{ version: number }>("SELECT version FROM streams WHERE stream_id = $1", [streamId]);
    throw new VersionConflict(streamId, expectedVersion, current[0]?.version ?? null);
  }
  const metadata = { ...request.metadata, schemaVersion: EVENT_SCHEMA_VERSION };
  // jsonb parameters are passed as values, never pre-serialized strings: drivers serialize them once.
  const rows = await tx.query<EventRow>(
    `INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata)
     SELECT $1, $2::int + n::int, gen_random_uuid(), e.event->>'type', e.event->'data', $4::jsonb
       FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(event, n)
     RETURNING ${EVENT_COLUMNS}`,
    [streamId, expectedVersion, events, metadata],
  );
  const recorded = rows.map(toRecordedEvent).sort((a, b) => a.streamVersion - b.streamVersion);
  const position = recorded.at(-1)!.position;
  const state = fold(events, request.before);
  if (state.status === "registered") await writeOrganization(tx, request.before, state, { version, position });
  const result: AppendResult = { version, position, events: recorded, state };
  if (request.idempotency) {
    const { key, fingerprint, answer } = request.idempotency;
    const stored = answer(result);
    const kept = await tx.query(
      "INSERT INTO idempotency_keys (key, fingerprint, status, body) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT DO NOTHING RETURNING key",
      [key, fingerprint, stored.status, stored.body],
    );
    if (kept.length === 0) throw new IdempotencyRace(key);
  }
  return result;
}

/**
 * Follows the log in (transaction id, position) order, only below the oldest transaction still
 * running: an event whose transaction commits late with a lower position is read when it
 * commits, never skipped by a cursor that already moved past its position.
 */
async function readLog(sql: Sql, query: LogQuery): Promise<{ events: RecordedEvent[]; next: LogCursor }> {
  const rows = await sql.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events
      WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        AND (transaction_id, position) > ($1::xid8, $2::int8)
        AND ($3::text IS NULL OR stream_id = $3)
        AND ($4::text[] IS NULL OR type = ANY($4))
        AND ($5::timestamptz IS NULL OR recorded_at >= $5)
        AND ($6::timestamptz IS NULL OR recorded_at < $6)
      ORDER BY transaction_id, position
      LIMIT $7`,
    [
      query.after.transactionId,
      query.after.position,
      query.streamId ?? null,
      query.types ?? null,
      query.since?.toISOString() ?? null,
      query.until?.toISOString() ?? null,
      query.limit,
    ],
  );
  const events = rows.map(toRecordedEvent);
  const last = events.at(-1);
  return { events, next: last ? { transactionId: last.transactionId, position: last.position } : query.after };
}
