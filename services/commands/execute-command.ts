import { CodedError, VersionConflict } from "../../shared/errors.ts";
import type { OrganizationCommand } from "../../shared/commands.ts";
import { streamIdOf } from "../../shared/events.ts";
import { decide, fold, type OrganizationState } from "../../shared/organization.ts";
import type { ProviderCatalog } from "../../shared/providers.ts";
import type { EventStore, Streams } from "../../db/event-store.ts";
import type { StoredAnswer } from "../../db/idempotency.ts";

export type CommandContext = {
  /** The token's subject: recorded on every event, and the owner of the request's Idempotency-Key. */
  actor: string;
  requestId: string;
  reason: string | null;
  /** From If-Match: decide only against this version, else answer version_conflict. */
  expectedVersion?: number;
  idempotency?: { key: string; fingerprint: string };
  /** Set when a wave's runner sends the command: recorded in the events' metadata. */
  wave?: { waveId: string; batch: number };
};

/** Told after a commit, never before: routers read the change from the projection. */
export type AppendedChange = { organizationId: string; position: number };

/** What a command did: plain data, stored under its Idempotency-Key and answered from after the commit. */
export type CommandOutcome = { state: OrganizationState; version: number; position: number; appended: number };

/** Without If-Match a lost race is retried against the new state; this bounds the retries. */
const MAX_ATTEMPTS = 64;

type Deps = { store: EventStore; providers: ProviderCatalog; onAppended?: (change: AppendedChange) => void };

/**
 * Runs the command (see `handleCommand`), idempotently when it carries a key, and builds the
 * answer with `answer` after the commit: from the outcome, or from the outcome a previous request
 * with the same key stored. The routers are told only about an append this call committed.
 */
export async function executeCommand(deps: Deps, command: OrganizationCommand, context: CommandContext, answer: (outcome: CommandOutcome) => StoredAnswer): Promise<StoredAnswer> {
  const handle = (streams: Streams) => handleCommand(streams, deps.providers, command, context);
  if (!context.idempotency) return answer(told(deps, command, await handle(deps.store)));
  const { key, fingerprint } = context.idempotency;
  const claimed = await deps.store.withIdempotencyKey({ subject: context.actor, key, fingerprint }, handle);
  if (!claimed.replayed) return answer(told(deps, command, claimed.result));
  const stored = claimed.record;
  if (stored.fingerprint !== fingerprint) {
    throw new CodedError("idempotency_key_reused", "this Idempotency-Key was already used for a different request", { idempotencyKey: key });
  }
  return "result" in stored ? answer(stored.result as CommandOutcome) : { status: stored.status, body: stored.body };
}

/**
 * A command that needs work before it can be decided (a preflight's probes): `prepare` runs
 * after the Idempotency-Key is claimed, in its transaction, so a retry with the same key gets the
 * stored answer without preparing again, and a concurrent retry waits for the first to commit.
 * The prepared command is stored with the outcome, so every answer is built from the same data.
 */
export async function executePreparedCommand<C extends OrganizationCommand>(
  deps: Deps,
  organizationId: string,
  prepare: (streams: Streams) => Promise<C>,
  context: CommandContext,
  answer: (outcome: CommandOutcome, command: C) => StoredAnswer,
): Promise<StoredAnswer> {
  const run = async (streams: Streams): Promise<Prepared<C>> => {
    const command = await prepare(streams);
    if (command.organizationId !== organizationId) throw new Error("a prepared command names another organization");
    return { command, outcome: await handleCommand(streams, deps.providers, command, context) };
  };
  const tell = (p: Prepared<C>) => (told(deps, p.command, p.outcome), answer(p.outcome, p.command));
  if (!context.idempotency) return tell(await run(deps.store));
  const { key, fingerprint } = context.idempotency;
  const claimed = await deps.store.withIdempotencyKey({ subject: context.actor, key, fingerprint }, run);
  if (!claimed.replayed) return tell(claimed.result);
  const stored = claimed.record;
  if (stored.fingerprint !== fingerprint || !("result" in stored) || !isPrepared(stored.result)) {
    throw new CodedError("idempotency_key_reused", "this Idempotency-Key was already used for a different request", { idempotencyKey: key });
  }
  const prepared = stored.result as Prepared<C>;
  return answer(prepared.outcome, prepared.command);
}

type Prepared<C> = { command: C; outcome: CommandOutcome };
const isPrepared = (value: unknown): boolean => typeof value === "object" && value !== null && "command" in value && "outcome" in value;

function told(deps: Deps, command: OrganizationCommand, outcome: CommandOutcome): CommandOutcome {
  if (outcome.appended > 0) deps.onAppended?.({ organizationId: command.organizationId, position: outcome.position });
  return outcome;
}

/**
 * The command handler: read the stream, fold, decide, append with the version it folded. A
 * concurrent append makes the append fail with version_conflict: with If-Match that is the
 * answer, without it the command is decided again on the newer state.
 */
export async function handleCommand(streams: Streams, providers: ProviderCatalog, command: OrganizationCommand, context: CommandContext): Promise<CommandOutcome> {
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
    if (events.length === 0) return { state: before, version, position: history.at(-1)?.position ?? 0, appended: 0 };
    try {
      const metadata = {
        actor: context.actor,
        reason: context.reason,
        requestId: context.requestId,
        idempotencyKey: context.idempotency?.key ?? null,
        ...(context.wave ? { wave: context.wave } : {}),
      };
      const result = await streams.appendToStream(streamId, version, events, metadata, { state: before });
      return { state: fold(events, before), version: result.version, position: result.position, appended: result.events.length };
    } catch (error) {
      const raced = error instanceof VersionConflict && context.expectedVersion === undefined;
      if (!raced || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

