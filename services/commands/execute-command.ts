import { CodedError, VersionConflict } from "../../shared/errors.ts";
import type { OrganizationCommand } from "../../shared/commands.ts";
import { streamIdOf } from "../../shared/events.ts";
import { decide, fold, type OrganizationState } from "../../shared/organization.ts";
import type { ProviderCatalog } from "../../shared/providers.ts";
import { IdempotencyRace, type EventStore, type StoredAnswer } from "../../db/event-store.ts";

export type CommandContext = {
  actor: string;
  requestId: string;
  reason: string | null;
  /** From If-Match: decide only against this version, else answer version_conflict. */
  expectedVersion?: number;
  idempotency?: { key: string; fingerprint: string };
};

/** Told after a commit, never before: routers read the change from the projection. */
export type AppendedChange = { organizationId: string; position: number };

export type CommandOutcome = { state: OrganizationState; version: number; position: number; appended: number };

/** Without If-Match a lost race is retried against the new state; this bounds the retries. */
const MAX_ATTEMPTS = 64;

/**
 * Folds the stream, decides, appends with the version it folded. A concurrent append makes
 * the append fail with version_conflict: with If-Match that is the answer, without it the
 * command is decided again on the newer state. A replayed Idempotency-Key gets its first answer.
 */
export async function executeCommand(
  deps: { store: EventStore; providers: ProviderCatalog; onAppended?: (change: AppendedChange) => void },
  command: OrganizationCommand,
  context: CommandContext,
  answer: (outcome: CommandOutcome) => StoredAnswer,
): Promise<StoredAnswer> {
  const streamId = streamIdOf(command.organizationId);
  for (let attempt = 1; ; attempt++) {
    if (context.idempotency) {
      const stored = await deps.store.findIdempotencyKey(context.idempotency.key);
      if (stored) return replayAnswer(stored, context.idempotency);
    }
    // A registration expects a stream that does not exist yet: try that without reading it first.
    // If it does exist, the append refuses version 0 and the retry reads and decides properly.
    const optimisticRegistration = attempt === 1 && command.type === "RegisterOrganization" && context.expectedVersion === undefined;
    const history = optimisticRegistration ? [] : await deps.store.readStream(streamId);
    const version = history.length;
    if (context.expectedVersion !== undefined && context.expectedVersion !== version) {
      throw new VersionConflict(streamId, context.expectedVersion, version);
    }
    const before = fold(history);
    const events = decide(command, before, deps.providers);
    if (events.length === 0) return answer({ state: before, version, position: history.at(-1)?.position ?? 0, appended: 0 });
    try {
      const result = await deps.store.append({
        streamId,
        expectedVersion: version,
        before,
        events,
        metadata: { actor: context.actor, reason: context.reason, requestId: context.requestId, idempotencyKey: context.idempotency?.key ?? null },
        ...(context.idempotency
          ? { idempotency: { ...context.idempotency, answer: (r) => answer({ state: r.state, version: r.version, position: r.position, appended: r.events.length }) } }
          : {}),
      });
      deps.onAppended?.({ organizationId: command.organizationId, position: result.position });
      return answer({ state: result.state, version: result.version, position: result.position, appended: result.events.length });
    } catch (error) {
      const raced = error instanceof IdempotencyRace || (error instanceof VersionConflict && context.expectedVersion === undefined);
      if (!raced || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

function replayAnswer(stored: StoredAnswer & { fingerprint: string }, idempotency: { key: string; fingerprint: string }): StoredAnswer {
  if (stored.fingerprint !== idempotency.fingerprint) {
    throw new CodedError("idempotency_key_reused", "this Idempotency-Key was already used for a different request", { idempotencyKey: idempotency.key });
  }
  return { status: stored.status, body: stored.body };
}
