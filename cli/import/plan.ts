import { CodedError } from "../../shared/errors.ts";
import { identifierKey, normalizeIdentifier, type Identifier } from "../../shared/identifiers.ts";
import { checkOrganizationId } from "../../shared/organization.ts";
import type { OrganizationJson } from "../api-client.ts";
import { ImportFileError, type DesiredOrganization } from "./desired.ts";

/** What an import will do for one organization. */
export type Step = {
  id: string;
  name: string;
  source: string;
  /** register: it does not exist yet; link: it exists and lacks some identifiers; unchanged: nothing to do. */
  action: "register" | "link" | "unchanged";
  /** Identifiers to send (with the registration, or linked one by one). */
  identifiers: Identifier[];
  /** Identifiers that belong to another organization: reported, never sent. */
  conflicts: { identifier: Identifier; owner: string }[];
  notes: string[];
};

/**
 * Checks every organization of the file (ids, identifiers, one identity claimed twice) before
 * anything is sent, and compares it with what the API already holds: identifiers are compared in
 * their normal form, so a re-run finds nothing to do.
 */
export function planImport(desired: DesiredOrganization[], existing: OrganizationJson[]): Step[] {
  const problems: string[] = [];
  const owners = new Map<string, string>();
  for (const org of existing) for (const i of org.identifiers) owners.set(keyOf(i) ?? identifierKey(i as Identifier), org.id);
  const byId = new Map(existing.map((o) => [o.id, o]));
  const claimedBy = new Map<string, string>();
  const seenIds = new Set<string>();
  const steps: Step[] = [];

  for (const org of desired) {
    try {
      checkOrganizationId(org.id);
    } catch (error) {
      problems.push(`${org.source}: ${JSON.stringify(org.id)}: ${(error as Error).message}`);
      continue;
    }
    if (seenIds.has(org.id)) {
      problems.push(`${org.source}: ${org.id} appears twice in the file (give each organization once, or its rows under one id)`);
      continue;
    }
    seenIds.add(org.id);
    const identifiers: Identifier[] = [];
    const keys = new Set<string>();
    for (const raw of org.identifiers) {
      let identifier: Identifier;
      try {
        identifier = normalizeIdentifier(raw.kind, raw.value);
      } catch (error) {
        problems.push(`${org.source}: ${org.id}: ${raw.kind}=${raw.value}: ${error instanceof CodedError ? error.message : String(error)}`);
        continue;
      }
      const key = identifierKey(identifier);
      if (keys.has(key)) continue; // two spellings of one identity in the same organization
      keys.add(key);
      const other = claimedBy.get(key);
      if (other !== undefined && other !== org.id) problems.push(`${org.source}: ${identifier.kind}=${identifier.value} is listed for both ${other} and ${org.id}`);
      claimedBy.set(key, org.id);
      identifiers.push(identifier);
    }

    const current = byId.get(org.id);
    const conflicts: Step["conflicts"] = [];
    const missing: Identifier[] = [];
    for (const identifier of identifiers) {
      const owner = owners.get(identifierKey(identifier));
      if (owner === org.id) continue;
      if (owner !== undefined) conflicts.push({ identifier, owner });
      else missing.push(identifier);
    }
    const notes = [...org.notes];
    if (current && current.name !== org.name) notes.push(`already registered as ${JSON.stringify(current.name)}: the name is kept`);
    const action = !current ? "register" : missing.length > 0 ? "link" : "unchanged";
    steps.push({ id: org.id, name: org.name, source: org.source, action, identifiers: missing, conflicts, notes });
  }
  if (problems.length > 0) throw new ImportFileError(problems);
  return steps;
}

/** The normal form of an identifier the API returned (stored before normalization existed, it may differ). */
function keyOf(identifier: { kind: string; value: string }): string | null {
  try {
    return identifierKey(normalizeIdentifier(identifier.kind, identifier.value));
  } catch {
    return null;
  }
}
