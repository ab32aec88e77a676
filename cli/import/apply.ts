import type { Identifier } from "../../shared/identifiers.ts";
import { ApiRefusal, newIdempotencyKey, type ApiClient } from "../api-client.ts";
import type { Step } from "./plan.ts";

export type Outcome = {
  id: string;
  /** What happened (or, in a dry run, would happen). */
  action: "registered" | "linked" | "unchanged" | "failed";
  /** Identifiers added by this run (sent with the registration or linked). */
  added: Identifier[];
  conflicts: { identifier: Identifier; owner: string | null }[];
  failures: string[];
  notes: string[];
};

/** The API takes at most this many identifiers with a registration; the rest are linked after it. */
const REGISTER_MAX_IDENTIFIERS = 100;

/** What a dry run reports: the plan, as if every request succeeded. */
export function outcomeOfPlan(step: Step): Outcome {
  const action = step.action === "register" ? "registered" : step.action === "link" ? "linked" : "unchanged";
  return { id: step.id, action, added: step.identifiers, conflicts: step.conflicts, failures: [], notes: step.notes };
}

/**
 * Carries out one step. Every write has its own Idempotency-Key (the client's retries reuse it);
 * an identifier another organization took since the plan was made is reported like one it
 * already had, and a refusal of one identifier does not stop the others.
 */
export async function applyStep(api: ApiClient, step: Step): Promise<Outcome> {
  const outcome: Outcome = { id: step.id, action: step.action === "register" ? "registered" : step.action === "link" ? "linked" : "unchanged", added: [], conflicts: [...step.conflicts], failures: [], notes: step.notes };
  let toLink = step.identifiers;
  if (step.action === "register") {
    const first = step.identifiers.slice(0, REGISTER_MAX_IDENTIFIERS);
    try {
      await register(api, step, first);
      outcome.added.push(...first);
      toLink = step.identifiers.slice(REGISTER_MAX_IDENTIFIERS);
    } catch (error) {
      if (!(error instanceof ApiRefusal)) throw error;
      if (error.code === "identifier_taken") {
        // Taken since the plan was made: register bare, then link one by one to learn which.
        const bare = await register(api, step, []).then(() => null, (e: unknown) => e);
        if (bare) return fail(outcome, bare);
      } else if (error.code !== "organization_exists") {
        return fail(outcome, error);
      }
    }
  }
  for (const identifier of toLink) {
    try {
      await api.json("POST", `/v1/organizations/${encodeURIComponent(step.id)}/identifiers`, { body: identifier, idempotencyKey: newIdempotencyKey() });
      outcome.added.push(identifier);
    } catch (error) {
      if (!(error instanceof ApiRefusal)) throw error;
      if (error.code === "identifier_taken") outcome.conflicts.push({ identifier, owner: null });
      else outcome.failures.push(`${identifier.kind}=${identifier.value}: ${error.message}`);
    }
  }
  if (step.action === "link" && outcome.added.length === 0) outcome.action = outcome.failures.length > 0 ? "failed" : "unchanged";
  return outcome;
}

const register = (api: ApiClient, step: Step, identifiers: Identifier[]) =>
  api.json("POST", "/v1/organizations", { body: { id: step.id, name: step.name, identifiers }, idempotencyKey: newIdempotencyKey() });

function fail(outcome: Outcome, error: unknown): Outcome {
  if (!(error instanceof ApiRefusal)) throw error;
  outcome.action = "failed";
  outcome.failures.push(error.message);
  return outcome;
}
