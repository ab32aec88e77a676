import type { PreflightCheck } from "./events.ts";
import type { Identifier } from "./identifiers.ts";

export type RegisterOrganization = {
  type: "RegisterOrganization";
  organizationId: string;
  name: string;
  identifiers: Identifier[];
  /** Absent: no tags. */
  tags?: string[];
};
export type LinkIdentifier = { type: "LinkIdentifier"; organizationId: string; identifier: Identifier };
export type UnlinkIdentifier = { type: "UnlinkIdentifier"; organizationId: string; identifier: Identifier };
/** `to` absent means the configured target provider. */
export type MigrateOrganization = {
  type: "MigrateOrganization";
  organizationId: string;
  to?: string;
  reason: string;
  guard?: boolean;
  /** Refuse unless a passing preflight of the destination, checked at or after `since` (ISO time), is in the log. */
  requirePreflight?: { since: string };
};
/** Appends a preflight's result; the probing happened before, outside the decider. */
export type RecordPreflight = { type: "RecordPreflight"; organizationId: string; provider: string; checks: PreflightCheck[]; checkedAt: string };
/** Replaces the organization's tags with `tags`. */
export type SetOrganizationTags = { type: "SetOrganizationTags"; organizationId: string; tags: string[] };
export type RollBackOrganization = { type: "RollBackOrganization"; organizationId: string; reason: string };

export type SetGuard = { type: "SetGuard"; organizationId: string; enabled: boolean };

export type OrganizationCommand =
  | RegisterOrganization
  | LinkIdentifier
  | UnlinkIdentifier
  | MigrateOrganization
  | RollBackOrganization
  | SetOrganizationTags
  | RecordPreflight
  | SetGuard;
