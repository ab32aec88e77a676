import type { EventMetadata, EventType, OrganizationEvent, RecordedEvent } from "../shared/events.ts";

/**
 * Columns every reader of `events` selects, in the shape `toRecordedEvent` expects.
 * `transaction_id` is selected as the xid8 column itself (both drivers hand xid8 over as a
 * decimal string): an alias such as `transaction_id::text AS transaction_id` would make
 * `ORDER BY transaction_id` sort as text, and '10000' < '9999'.
 */
export const EVENT_COLUMNS =
  "position, stream_id, stream_version, event_id, type, data, metadata, transaction_id, recorded_at";

export type EventRow = {
  position: number;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: EventType;
  data: OrganizationEvent["data"];
  metadata: EventMetadata;
  transaction_id: string;
  recorded_at: Date | string;
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
    recordedAt: new Date(row.recorded_at).toISOString(),
  } as RecordedEvent;
}
