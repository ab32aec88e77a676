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
export type MigrateOrganization = { type: "MigrateOrganization"; organizationId: string; to?: string; reason: string };
/** Replaces the organization's tags with `tags`. */
export type SetOrganizationTags = { type: "SetOrganizationTags"; organizationId: string; tags: string[] };
export type RollBackOrganization = { type: "RollBackOrganization"; organizationId: string; reason: string };

export type OrganizationCommand =
  | RegisterOrganization
  | LinkIdentifier
  | UnlinkIdentifier
  | MigrateOrganization
  | RollBackOrganization
  | SetOrganizationTags;
