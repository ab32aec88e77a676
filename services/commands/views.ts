import { organizationOfStream, type RecordedEvent } from "../../shared/events.ts";
import type { RegisteredOrganization } from "../../shared/organization.ts";
import type { OrganizationView } from "../../db/organization-projection.ts";
import type { EventJson, OrganizationJson } from "./schemas.ts";

/** An organization as the API shows it (the shape the OpenAPI document calls `Organization`); `rollbackTo` is where a rollback would go (null: nowhere). */
export function organizationJson(o: OrganizationView | (RegisteredOrganization & { version: number; position: number })): OrganizationJson {
  return {
    id: o.id,
    name: o.name,
    provider: o.provider,
    rollbackTo: o.rollbackTo.at(-1) ?? null,
    version: o.version,
    position: o.position,
    identifiers: o.identifiers,
    tags: o.tags,
    ...("updatedAt" in o ? { updatedAt: o.updatedAt } : {}),
  };
}

/** An event as the API shows it (the shape the OpenAPI document calls `Event`). */
export function eventJson(e: RecordedEvent): EventJson {
  return {
    position: e.position,
    streamId: e.streamId,
    organizationId: organizationOfStream(e.streamId),
    version: e.streamVersion,
    type: e.type,
    data: e.data,
    actor: e.metadata.actor,
    reason: e.metadata.reason,
    requestId: e.metadata.requestId,
    idempotencyKey: e.metadata.idempotencyKey,
    recordedAt: e.recordedAt,
    eventId: e.eventId,
    transactionId: e.transactionId,
  };
}
