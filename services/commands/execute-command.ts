import { CodedError, VersionConflict } from "../../shared/errors.ts";
import type { OrganizationCommand } from "../../shared/commands.ts";
import { streamIdOf } from "../../shared/events.ts";
import { decide, fold, type OrganizationState } from "../../shared/organization.ts";
import type { ProviderCatalog } from "../../shared/providers.ts";
import type { EventStore, IdempotencyRecord, StoredAnswer, Streams } from "../../db/event-store.ts";

export type CommandContext = {
  /** The token's subject: recorded on every event, and the owner of the request's Idempotency-Key. */
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

type Deps = { store: EventStore; providers: ProviderCatalog; onAppended?: (change: AppendedChange) => void };

/**
 * Folds the stream, decides, appends with the version it folded. A concurrent append makes
 * the append fail with version_conflict: with If-Match that is the answer, without it the
 * command is decided again on the newer state. With an Idempotency-Key, all of it runs in the
 * transaction that claims the caller's key: a retry, even one that overlaps the first request,
 * gets the first answer.
 */
export async function executeCommand(deps: Deps, command: OrganizationCommand, context: CommandContext, answer: (outcome: CommandOutcome) => StoredAnswer): Promise<StoredAnswer> {
  const decideOn = (streams: Streams) => decideAndAppend(streams, deps.providers, command, context, answer);
  if (!context.idempotency) {
    const done = await decideOn(deps.store);
    if (done.value) deps.onAppended?.(done.value);
    return done.answer;
  }
  const { key, fingerprint } = context.idempotency;
  const claimed = await deps.store.withIdempotencyKey({ subject: context.actor, key, fingerprint }, decideOn);
  if (claimed.replayed) return replayAnswer(claimed.record, context.idempotency);
  if (claimed.value) deps.onAppended?.(claimed.value);
  return claimed.answer;
}

async function decideAndAppend(
  streams: Streams,
  providers: ProviderCatalog,
  command: OrganizationCommand,
  context: CommandContext,
  answer: (outcome: CommandOutcome) => StoredAnswer,
): Promise<{ answer: StoredAnswer; value: AppendedChange | null }> {
  const streamId = streamIdOf(command.organizationId);
  for (let attempt = 1; ; attempt++) {
    // A registration expects a stream that does not exist yet: try that without reading it first.
    // If it does exist, the append refuses version 0 and the retry reads and decides properly.
    const optimisticRegistration = attempt === 1 && command.type === "RegisterOrganization" && context.expectedVersion === undefined;
    const history = optimisticRegistration ? [] : await streams.readStream(streamId);
    const version = history.length;
    if (context.expectedVersion !== undefined && context.expectedVersion !== version) {
      throw new VersionConflict(streamId, context.expectedVersion, version);
    }
    const before = fold(history);
    const events = decide(command, before, providers);
    if (events.length === 0) return { answer: answer({ state: before, version, position: history.at(-1)?.position ?? 0, appended: 0 }), value: null };
    try {
      const result = await streams.append({
        streamId,
        expectedVersion: version,
        before,
        events,
        metadata: { actor: context.actor, reason: context.reason, requestId: context.requestId, idempotencyKey: context.idempotency?.key ?? null },
      });
      return {
        answer: answer({ state: result.state, version: result.version, position: result.position, appended: result.events.length }),
        value: { organizationId: command.organizationId, position: result.position },
      };
    } catch (error) {
      const raced = error instanceof VersionConflict && context.expectedVersion === undefined;
      if (!raced || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

function replayAnswer(stored: IdempotencyRecord, idempotency: { key: string; fingerprint: string }): StoredAnswer {
  if (stored.fingerprint !== idempotency.fingerprint) {
    throw new CodedError("idempotency_key_reused", "this Idempotency-Key was already used for a different request", { idempotencyKey: idempotency.key });
  }
  return { status: stored.status, body: stored.body };
}
