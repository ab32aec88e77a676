import type { OrganizationCommand } from "../../shared/commands.ts";
import type { ProviderCatalog } from "../../shared/providers.ts";
import type { EventStore } from "../../db/event-store.ts";
import { executeCommand, type CommandOutcome } from "../../services/commands/execute-command.ts";

export const PROVIDERS: ProviderCatalog = { ids: ["legacy", "target", "other"], defaultProvider: "legacy", defaultTarget: "target" };

/** Runs one command as `tester`, the way the API does, and returns what it decided. */
export async function run(store: EventStore, command: OrganizationCommand, extra: { expectedVersion?: number; idempotency?: { key: string; fingerprint: string } } = {}): Promise<CommandOutcome> {
  const answer = await executeCommand(
    { store, providers: PROVIDERS },
    command,
    { actor: "tester", requestId: crypto.randomUUID(), reason: "reason" in command ? command.reason : null, ...extra },
    (outcome) => ({ status: 200, body: outcome }),
  );
  return answer.body as CommandOutcome;
}

export const register = (id: string, identifiers: { kind: "domain" | "saml_issuer" | "client_id" | "connection" | "oidc_issuer"; value: string }[] = []): OrganizationCommand => ({
  type: "RegisterOrganization",
  organizationId: id,
  name: `${id} Inc.`,
  identifiers,
});
export const migrate = (id: string, to?: string): OrganizationCommand => ({ type: "MigrateOrganization", organizationId: id, reason: "moving", ...(to ? { to } : {}) });
export const rollBack = (id: string): OrganizationCommand => ({ type: "RollBackOrganization", organizationId: id, reason: "it broke" });
