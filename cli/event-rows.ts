import type { EventJson } from "./api-client.ts";
import { cell, table } from "./output.ts";

export const EVENT_HEADERS = ["POSITION", "RECORDED", "ORG", "TYPE", "CHANGE", "ACTOR", "REASON"] as const;

/** What an event changed, in a few words. */
export function change(event: EventJson): string {
  const d = event.data as { name?: string; provider?: string; from?: string; to?: string; identifier?: { kind: string; value: string }; identifiers?: unknown[] };
  switch (event.type) {
    case "OrganizationRegistered":
      return `"${d.name}" on ${d.provider}, ${d.identifiers?.length ?? 0} identifier(s)`;
    case "IdentifierLinked":
      return `+ ${d.identifier?.kind}=${d.identifier?.value}`;
    case "IdentifierUnlinked":
      return `- ${d.identifier?.kind}=${d.identifier?.value}`;
    case "OrganizationMigrated":
    case "OrganizationRolledBack":
      return `${d.from} -> ${d.to}`;
    default:
      return "";
  }
}

export const eventRow = (e: EventJson): string[] => [String(e.position), e.recordedAt, e.organizationId ?? e.streamId, e.type, cell(change(e)), e.actor, cell(e.reason)];

export const eventTable = (events: readonly EventJson[]): string[] => table(EVENT_HEADERS, events.map(eventRow));
