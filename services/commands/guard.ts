import { VersionConflict } from "../../shared/errors.ts";
import { organizationIdOf, type RecordedEvent } from "../../shared/events.ts";
import { judgeMigration, type GuardPolicy, type LoginTally } from "../../shared/guard-policy.ts";
import { minuteOf } from "../../shared/login-outcomes.ts";
import { fold } from "../../shared/organization.ts";
import type { ProviderCatalog } from "../../shared/providers.ts";
import type { EventStore } from "../../db/event-store.ts";
import { asTheOnlyRunner, recentlyMigrated } from "../../db/guard-source.ts";
import type { OutcomeStore, StoredOutcome } from "../../db/outcome-store.ts";
import type { Database } from "../../db/sql.ts";
import type { Log } from "../http/log.ts";
import { executeCommand, type AppendedChange } from "./execute-command.ts";

export const GUARD_ACTOR = "guard";
/** The baseline: the organization's logins on its old provider over this long before the move. */
const BASELINE_MINUTES = 24 * 60;

export type GuardAction = { organizationId: string; reason: string; position: number };

export type Guard = { tick(): Promise<GuardAction[]>; stop(): Promise<void> };

/**
 * Watches every organization migrated within the policy's window and rolls it back, as actor
 * `guard`, when its logins on the new provider fail past the policy (shared/guard-policy.ts).
 * Its state is the log and the outcome table, nothing else, so it survives restarts; it runs in
 * one command service at a time (advisory lock). It acts at most once per migration and never on
 * an organization changed since: it only acts while that migration is the stream's last event,
 * and appends with that version expected (an operator's command in between wins).
 */
export function startGuard(deps: {
  db: Database;
  store: EventStore;
  outcomes: OutcomeStore;
  providers: ProviderCatalog;
  policy: GuardPolicy;
  intervalMs: number;
  log: Log;
  onAppended?: (change: AppendedChange) => void;
  now?: () => number;
}): Guard {
  const now = deps.now ?? Date.now;
  let running: Promise<GuardAction[]> | null = null;

  async function watch(): Promise<GuardAction[]> {
    const actions: GuardAction[] = [];
    for (const streamId of await recentlyMigrated(deps.db, deps.policy.windowMinutes)) {
      const action = await watchOne(streamId);
      if (action) actions.push(action);
    }
    return actions;
  }

  async function watchOne(streamId: string): Promise<GuardAction | null> {
    const history = await deps.store.readStream(streamId);
    const migration = history.at(-1);
    if (migration?.type !== "OrganizationMigrated" || migration.data.guard === false) return null;
    const state = fold(history);
    if (state.status === "registered" && state.guardEnabled === false) return null;
    const organizationId = organizationIdOf(streamId);
    const movedAt = Date.parse(migration.recordedAt);
    const minutesSince = (now() - movedAt) / 60_000;
    if (minutesSince > deps.policy.windowMinutes) return null;
    const split = minuteOf(movedAt);
    const rows = await deps.outcomes.read({ organizationId, sinceMinute: split - BASELINE_MINUTES });
    // Counts are per minute: in the migration's own minute, flows on the old provider started before the move.
    const before = tally(rows, migration.data.from, (m) => m <= split);
    const after = tally(rows, migration.data.to, (m) => m >= split);
    const verdict = judgeMigration(deps.policy, { from: migration.data.from, to: migration.data.to, before, after, minutesSince });
    if (!verdict.rollBack) return null;
    return rollBack(organizationId, migration, verdict.reason);
  }

  async function rollBack(organizationId: string, migration: RecordedEvent, reason: string): Promise<GuardAction | null> {
    try {
      const answer = await executeCommand(
        { store: deps.store, providers: deps.providers, ...(deps.onAppended ? { onAppended: deps.onAppended } : {}) },
        { type: "RollBackOrganization", organizationId, reason },
        { actor: GUARD_ACTOR, requestId: crypto.randomUUID(), reason, expectedVersion: migration.streamVersion },
        (outcome) => ({ status: 200, body: outcome.position }),
      );
      deps.log({ level: "warn", msg: "guard rolled an organization back", organization: organizationId, reason });
      return { organizationId, reason, position: answer.body as number };
    } catch (error) {
      if (error instanceof VersionConflict) return null; // an operator acted first: theirs stands
      throw error;
    }
  }

  const tick = () =>
    (running ??= asTheOnlyRunner(deps.db, watch)
      .then((result) => (result.ran ? result.value : []))
      .finally(() => (running = null)));
  const timer = setInterval(() => {
    tick().catch((error) => deps.log({ level: "warn", msg: "guard could not check migrations", error: String(error) }));
  }, deps.intervalMs);
  return {
    tick,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}

function tally(rows: readonly StoredOutcome[], provider: string, inSpan: (minute: number) => boolean): LoginTally {
  const t = { succeeded: 0, failed: 0 };
  for (const row of rows) {
    if (row.provider !== provider || !inSpan(row.minute)) continue;
    if (row.outcome === "succeeded") t.succeeded += row.count;
    else if (row.outcome === "failed") t.failed += row.count;
  }
  return t;
}
