import type { RecordedEvent } from "../../shared/events.ts";

/** One line per event, as an operator reads the timeline; an event type this does not know is shown by its name. */
export function describeEvent(e: { type: string; data: unknown }): string {
  const event = e as RecordedEvent;
  switch (event.type) {
    case "OrganizationRegistered":
      return `Registered "${event.data.name}" on ${event.data.provider} with ${event.data.identifiers.length} identifier(s)`;
    case "IdentifierLinked":
      return `Linked ${event.data.identifier.kind} ${event.data.identifier.value}`;
    case "IdentifierUnlinked":
      return `Unlinked ${event.data.identifier.kind} ${event.data.identifier.value}`;
    case "OrganizationMigrated":
      return `Migrated from ${event.data.from} to ${event.data.to}${event.data.guard === false ? " (guard off)" : ""}`;
    case "OrganizationRolledBack":
      return `Rolled back from ${event.data.from} to ${event.data.to}`;
    case "OrganizationTagsSet":
      return event.data.tags.length === 0 ? "Tags cleared" : `Tags set: ${event.data.tags.join(", ")}`;
    case "PreflightRecorded":
      return `Preflight of ${event.data.provider}: ${event.data.passed ? "passed" : "failed"} (${event.data.checks.filter((c) => c.passed).length} of ${event.data.checks.length} checks)`;
    case "GuardSet":
      return `Guard ${event.data.enabled ? "on" : "off"}`;
    default:
      return (e as { type: string }).type;
  }
}
