import type { EventMetadata, EventType, OrganizationEvent, RecordedEvent } from "../shared/events.ts";

/**
 * A timestamptz as ISO 8601 UTC text with all six fractional digits PostgreSQL stores: times are
 * shown with the precision they are kept with, so "as of" a shown time is exact. Aliases built
 * with it use a name other than the column's, so ORDER BY or WHERE never meets the text.
 */
export const utcMicroseconds = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Columns every reader of `events` selects, in the shape `toRecordedEvent` expects.
 * `transaction_id` is selected as the xid8 column itself (both drivers hand xid8 over as a
 * decimal string): an alias such as `transaction_id::text AS transaction_id` would make
 * `ORDER BY transaction_id` sort as text, and '10000' < '9999'.
 */
export const EVENT_COLUMNS =
  `position, stream_id, stream_version, event_id, type, data, metadata, transaction_id, ${utcMicroseconds("recorded_at")} AS recorded`;

export type EventRow = {
  position: number;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: EventType;
  data: OrganizationEvent["data"];
  metadata: EventMetadata;
  transaction_id: string;
  recorded: string;
};

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    type: row.type,
    data: row.data,
    position: Number(row.position),
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    eventId: row.event_id,
    transactionId: String(row.transaction_id),
    metadata: row.metadata,
    recordedAt: row.recorded,
  } as RecordedEvent;
}
