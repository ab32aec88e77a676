import type { Identifier } from "./identifiers.ts";

/** Every organization has one stream; its id is derived, never stored separately. */
export const streamIdOf = (organizationId: string): string => `organization-${organizationId}`;
export const organizationIdOf = (streamId: string): string => streamId.slice("organization-".length);
/** The organization a stream belongs to, or null for another stream type (a wave's). */
export const organizationOfStream = (streamId: string): string | null => (streamId.startsWith("organization-") ? organizationIdOf(streamId) : null);

export type OrganizationRegistered = {
  type: "OrganizationRegistered";
  /** `tags` is absent in events recorded before organizations had tags: none. */
  data: { organizationId: string; name: string; provider: string; identifiers: Identifier[]; tags?: string[] };
};
/** The organization's tags are now `tags` (sorted), replacing the ones it had. */
export type OrganizationTagsSet = { type: "OrganizationTagsSet"; data: { organizationId: string; tags: string[] } };
export type IdentifierLinked = { type: "IdentifierLinked"; data: { organizationId: string; identifier: Identifier } };
export type IdentifierUnlinked = { type: "IdentifierUnlinked"; data: { organizationId: string; identifier: Identifier } };
export type OrganizationMigrated = {
  type: "OrganizationMigrated";
  /** `guard: false`: the operator asked the guard not to watch this migration (issue 12). */
  data: { organizationId: string; from: string; to: string; reason: string; guard?: false };
};
/** `to` is the provider the organization was on before its last migration. */
export type OrganizationRolledBack = {
  type: "OrganizationRolledBack";
  data: { organizationId: string; from: string; to: string; reason: string };
};

/** The result of probing a provider for an organization before moving it (issue 12 §3). */
export type PreflightCheck = { kind: string; value: string; passed: boolean; detail: string };
export type PreflightRecorded = {
  type: "PreflightRecorded";
  data: { organizationId: string; provider: string; passed: boolean; checks: PreflightCheck[]; checkedAt: string };
};

/** The guard's per-organization switch (issue 12 §4): off, it never rolls this organization back. */
export type GuardSet = { type: "GuardSet"; data: { organizationId: string; enabled: boolean } };

export type OrganizationEvent =
  | OrganizationRegistered
  | IdentifierLinked
  | IdentifierUnlinked
  | OrganizationMigrated
  | OrganizationRolledBack
  | OrganizationTagsSet
  | PreflightRecorded
  | GuardSet;
export type EventType = OrganizationEvent["type"];
export const EVENT_TYPES: readonly EventType[] = [
  "OrganizationRegistered",
  "IdentifierLinked",
  "IdentifierUnlinked",
  "OrganizationMigrated",
  "OrganizationRolledBack",
  "OrganizationTagsSet",
  "PreflightRecorded",
  "GuardSet",
];

/** Payload schema version, bumped when a payload shape changes; readers upcast older ones. */
export const EVENT_SCHEMA_VERSION = 1;

/** Who asked, why, and through which request: written once, with the event, forever. */
export type EventMetadata = {
  actor: string;
  reason: string | null;
  requestId: string;
  idempotencyKey: string | null;
  /** Set on an organization's event a wave's runner appended: which wave and batch (0-based). */
  wave?: { waveId: string; batch: number };
  schemaVersion: number;
};

/** An event as the log holds it. */
export type RecordedEvent<E extends { type: string; data: unknown } = OrganizationEvent> = E & {
  position: number;
  streamId: string;
  streamVersion: number;
  eventId: string;
  transactionId: string;
  metadata: EventMetadata;
  recordedAt: string;
};
