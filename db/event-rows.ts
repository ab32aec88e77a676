import { sql, type AnyColumn, type SQL } from "drizzle-orm";
import type { RecordedEvent } from "../shared/events.ts";
import { events } from "./schema.ts";

/**
 * A timestamptz as ISO 8601 UTC text with all six fractional digits PostgreSQL stores: times are
 * shown with the precision they are kept with, so "as of" a shown time is exact. Selected under
 * a name of its own, so ORDER BY or WHERE never meets the text.
 */
export const utcMicroseconds = (column: AnyColumn | SQL): SQL<string> => sql<string>`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * What every reader of `events` selects, typed by the schema. `transactionId` is the xid8 column
 * itself (both drivers hand xid8 over as a decimal string), never a text cast: sorted as text,
 * '10000' < '9999'.
 */
export const EVENT_FIELDS = {
  position: events.position,
  streamId: events.streamId,
  streamVersion: events.streamVersion,
  eventId: events.eventId,
  type: events.type,
  data: events.data,
  metadata: events.metadata,
  transactionId: events.transactionId,
  recordedAt: utcMicroseconds(events.recordedAt),
};

/** A row of `events` as its readers get it: the schema's row, its time shown as exact text. */
export type EventRow = Omit<typeof events.$inferSelect, "recordedAt"> & { recordedAt: string };

/**
 * The same columns for a statement drizzle does not build (the append's RETURNING), under the
 * same names. The alias `transactionId` keeps the xid8 type; nothing orders by it.
 */
export const EVENT_RETURNING =
  `position, stream_id AS "streamId", stream_version AS "streamVersion", event_id AS "eventId", type, data, metadata, transaction_id AS "transactionId", ` +
  `to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "recordedAt"`;

/** The one place a stored payload meets its type: `type` says which event the jsonb `data` is. */
export function toRecordedEvent(row: EventRow): RecordedEvent {
  return { ...row, position: Number(row.position), transactionId: String(row.transactionId) } as RecordedEvent;
}
