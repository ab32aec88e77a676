import { DomainError } from "./errors.ts";
import type { OrganizationCommand } from "./commands.ts";
import type { OrganizationEvent } from "./events.ts";
import { spellingKey } from "./identifier-spelling.ts";
import { identifierKey, type Identifier } from "./identifiers.ts";
import { textFault } from "./text.ts";
import type { ProviderCatalog } from "./providers.ts";
import { checkTags, sameTags } from "./tags.ts";

export type RegisteredOrganization = {
  status: "registered";
  id: string;
  name: string;
  provider: string;
  identifiers: Identifier[];
  /** Providers before each migration, most recent last: a rollback pops one. */
  rollbackTo: string[];
  /** Sorted; what a wave selects organizations by. */
  tags: string[];
  /** The last preflight (issue 12): which provider, whether it passed, when. */
  preflight?: { provider: string; passed: boolean; checkedAt: string };
  /** False when an operator turned the guard off for this organization. */
  guardEnabled?: boolean;
};
export type OrganizationState = { status: "unregistered" } | RegisteredOrganization;

export const initialState: OrganizationState = { status: "unregistered" };

const ORGANIZATION_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const MAX_NAME = 200;
/** What a reader cannot see: a name made only of these is blank. */
const BLANK = /[\s\p{Default_Ignorable_Code_Point}]/gu;
export const MAX_REASON = 1000;

/** Throws `invalid_organization_id` unless `id` could name an organization (so it is safe to look up). */
export function checkOrganizationId(id: unknown): string {
  if (typeof id !== "string" || !ORGANIZATION_ID.test(id)) {
    throw new DomainError("invalid_organization_id", "an organization id is 1-63 lower-case letters, digits, - or _, starting with a letter or digit");
  }
  return id;
}

/**
 * The command's own fields, before any state is read: the same mistake gets the same code
 * whether it is a missing, empty, too long or unstorable value.
 */
export function validateCommand(command: OrganizationCommand): void {
  checkOrganizationId(command.organizationId);
  if (command.type === "RegisterOrganization") {
    checkName(command.name);
    checkTags(command.tags ?? []);
  }
  if (command.type === "SetOrganizationTags") checkTags(command.tags);
  if (command.type === "MigrateOrganization" || command.type === "RollBackOrganization") requireReason(command.reason);
}

function checkName(name: string): string {
  if (typeof name !== "string" || name.replace(BLANK, "") === "") throw new DomainError("invalid_name", "an organization needs a name");
  const fault = textFault(name, { max: MAX_NAME });
  if (fault) throw new DomainError("invalid_name", `the name ${fault}`);
  return name.trim();
}

export function evolve(state: OrganizationState, event: OrganizationEvent): OrganizationState {
  switch (event.type) {
    case "OrganizationRegistered":
      return {
        status: "registered",
        id: event.data.organizationId,
        name: event.data.name,
        provider: event.data.provider,
        identifiers: event.data.identifiers,
        rollbackTo: [],
        tags: event.data.tags ?? [],
      };
    case "OrganizationTagsSet":
      return registered(state, (s) => ({ ...s, tags: event.data.tags }));
    case "IdentifierLinked":
      return registered(state, (s) => ({ ...s, identifiers: [...s.identifiers, event.data.identifier] }));
    case "IdentifierUnlinked": {
      const gone = identifierKey(event.data.identifier);
      return registered(state, (s) => ({ ...s, identifiers: s.identifiers.filter((i) => identifierKey(i) !== gone) }));
    }
    case "OrganizationMigrated":
      return registered(state, (s) => ({ ...s, provider: event.data.to, rollbackTo: [...s.rollbackTo, event.data.from] }));
    case "OrganizationRolledBack":
      return registered(state, (s) => ({ ...s, provider: event.data.to, rollbackTo: s.rollbackTo.slice(0, -1) }));
    case "GuardSet":
      return registered(state, (s) => ({ ...s, guardEnabled: event.data.enabled }));
    case "PreflightRecorded":
      return registered(state, (s) => ({ ...s, preflight: { provider: event.data.provider, passed: event.data.passed, checkedAt: event.data.checkedAt } }));
  }
}

export const fold = (events: Iterable<OrganizationEvent>, from: OrganizationState = initialState): OrganizationState => {
  let state = from;
  for (const event of events) state = evolve(state, event);
  return state;
};

/** Business rules, all of them: given the state and a command, the new events or a DomainError. */
export function decide(command: OrganizationCommand, state: OrganizationState, providers: ProviderCatalog): OrganizationEvent[] {
  const organizationId = command.organizationId;
  validateCommand(command);
  if (command.type === "RegisterOrganization") {
    if (state.status === "registered") throw new DomainError("organization_exists", `organization ${organizationId} already exists`);
    const seen = new Set<string>();
    for (const identifier of command.identifiers) {
      if (seen.has(spellingKey(identifier))) {
        throw new DomainError("duplicate_identifier", `${identifier.kind} ${identifier.value} is listed twice`);
      }
      seen.add(spellingKey(identifier));
    }
    const tags = checkTags(command.tags ?? []);
    const data = { organizationId, name: checkName(command.name), provider: providers.defaultProvider, identifiers: command.identifiers, ...(tags.length > 0 ? { tags } : {}) };
    return [{ type: "OrganizationRegistered", data }];
  }
  if (state.status !== "registered") {
    throw new DomainError("organization_not_found", `organization ${organizationId} does not exist`);
  }
  switch (command.type) {
    // Identifiers are compared by spelling key, so one stored before normalization existed
    // ("https://IdP.example.com/") is the same identity as its normal form; an unlink names the
    // spelling that was stored, so folding and the projection remove exactly that one.
    case "LinkIdentifier": {
      const linked = state.identifiers.some((i) => spellingKey(i) === spellingKey(command.identifier));
      return linked ? [] : [{ type: "IdentifierLinked", data: { organizationId, identifier: command.identifier } }];
    }
    case "UnlinkIdentifier": {
      const stored = state.identifiers.find((i) => spellingKey(i) === spellingKey(command.identifier));
      if (!stored) {
        throw new DomainError("identifier_not_linked", `${command.identifier.kind} ${command.identifier.value} is not linked to ${organizationId}`);
      }
      return [{ type: "IdentifierUnlinked", data: { organizationId, identifier: stored } }];
    }
    case "MigrateOrganization": {
      const reason = requireReason(command.reason);
      const to = command.to ?? providers.defaultTarget;
      if (!providers.ids.includes(to)) {
        throw new DomainError("unknown_provider", `no provider ${JSON.stringify(to.slice(0, 64))} is configured (known: ${providers.ids.join(", ")})`);
      }
      if (to === state.provider) throw new DomainError("already_on_provider", `organization ${organizationId} is already on ${to}`);
      if (command.requirePreflight) requirePassingPreflight(state, to, command.requirePreflight.since);
      return [{ type: "OrganizationMigrated", data: { organizationId, from: state.provider, to, reason, ...(command.guard === false ? { guard: false as const } : {}) } }];
    }
    case "SetGuard": {
      const current = state.guardEnabled ?? true;
      return current === command.enabled ? [] : [{ type: "GuardSet", data: { organizationId, enabled: command.enabled } }];
    }
    case "RecordPreflight": {
      if (!providers.ids.includes(command.provider)) throw new DomainError("unknown_provider", `no provider ${command.provider} is configured`);
      const passed = command.checks.length > 0 && command.checks.every((c) => c.passed);
      return [{ type: "PreflightRecorded", data: { organizationId, provider: command.provider, passed, checks: command.checks, checkedAt: command.checkedAt } }];
    }
    case "SetOrganizationTags": {
      const tags = checkTags(command.tags);
      return sameTags(tags, state.tags) ? [] : [{ type: "OrganizationTagsSet", data: { organizationId, tags } }];
    }
    case "RollBackOrganization": {
      const reason = requireReason(command.reason);
      const to = state.rollbackTo.at(-1);
      if (to === undefined) throw new DomainError("nothing_to_roll_back", `organization ${organizationId} has no migration to roll back`);
      return [{ type: "OrganizationRolledBack", data: { organizationId, from: state.provider, to, reason } }];
    }
  }
}

function requirePassingPreflight(state: RegisteredOrganization, to: string, since: string) {
  const p = state.preflight;
  const why =
    !p || p.provider !== to ? `no preflight of ${to} is recorded`
    : !p.passed ? `the last preflight of ${to} failed`
    : Date.parse(p.checkedAt) < Date.parse(since) ? `the last passing preflight of ${to} (${p.checkedAt}) is older than ${since}`
    : null;
  if (why) throw new DomainError("preflight_required", `organization ${state.id}: ${why}; run POST /v1/organizations/${state.id}/preflight first`);
}

/** A reason a command may carry without needing one (a preflight's): the same rules when given. */
export function optionalReason(reason: string | undefined): string | null {
  if (reason === undefined || reason.trim() === "") return null;
  const fault = textFault(reason, { max: MAX_REASON, multiline: true });
  if (fault) throw new DomainError("invalid_reason", `the reason ${fault}`);
  return reason.trim();
}

function requireReason(reason: string): string {
  const trimmed = typeof reason === "string" ? reason.trim() : "";
  if (trimmed === "") throw new DomainError("reason_required", "a migration or rollback needs a reason (it goes into the audit log)");
  const fault = textFault(reason, { max: MAX_REASON, multiline: true });
  if (fault) throw new DomainError("invalid_reason", `the reason ${fault}`);
  return trimmed;
}

function registered(state: OrganizationState, change: (s: RegisteredOrganization) => RegisteredOrganization): OrganizationState {
  return state.status === "registered" ? change(state) : state;
}
