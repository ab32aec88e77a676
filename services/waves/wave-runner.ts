import { CodedError } from "../../shared/errors.ts";
import { streamIdOf } from "../../shared/events.ts";
import type { ProviderCatalog } from "../../shared/providers.ts";
import { foldWave, soakingBatch, waveStreamIdOf, type PlannedWave, type WaveEvent } from "../../shared/wave.ts";
import type { EventStore } from "../../db/event-store.ts";
import { handleCommand, type AppendedChange } from "../commands/execute-command.ts";
import type { BatchHealth } from "./batch-health.ts";
import { handleWaveCommand } from "./wave-commands.ts";

export type WaveRunnerDeps = {
  store: EventStore;
  providers: ProviderCatalog;
  health: BatchHealth;
  /** Injected so soak periods are tested without waiting. */
  clock: () => Date;
  /** Told after each organization append the runner commits (the routers' hint). */
  onAppended?: (change: AppendedChange) => void;
};

/** What one step did; `idle` means the wave waits (for its soak, a resume, or nothing: it is finished). */
export type StepResult = "migrated" | "rolled-back" | "batch-started" | "soak-finished" | "completed" | "idle";

const ACTOR = "wave-runner";

/**
 * Moves a wave on by one step, deriving everything from the wave's stream and its
 * organizations' streams, so a runner restarted at any point continues exactly where the log
 * says: an organization this wave already migrated (its event's metadata names the wave) is
 * never migrated again, one not yet migrated is never skipped, and nothing is migrated while
 * the wave is paused. Returns what it did; call it again until `idle`.
 */
export async function stepWave(deps: WaveRunnerDeps, waveId: string): Promise<StepResult> {
  const wave = foldWave(await deps.store.readStream<WaveEvent>(waveStreamIdOf(waveId)));
  if (wave.status === "none" || wave.status === "completed") return "idle";
  if (wave.status === "aborted") return wave.rollBack ? rollBackOne(deps, wave) : "idle";
  if (wave.status === "paused") return "idle";
  const soaking = soakingBatch(wave);
  const now = deps.clock().toISOString();
  if (!soaking) {
    const outcome = await handleWaveCommand(deps.store, { type: "StartBatch", waveId, now }, context(`batch ${wave.batches.length + 1}`));
    return outcome.state.status === "completed" ? "completed" : "batch-started";
  }
  for (const organizationId of soaking.organizations) {
    if (await migratedByWave(deps, waveId, organizationId)) continue;
    try {
      await handleCommand(deps.store, deps.providers, { type: "MigrateOrganization", organizationId, to: wave.to, reason: `wave ${wave.name}, batch ${soaking.batch + 1}` }, {
        ...context(`wave ${waveId}`),
        wave: { waveId, batch: soaking.batch },
      }).then((o) => o.appended > 0 && deps.onAppended?.({ organizationId, position: o.position }));
    } catch (error) {
      // Already on the wave's provider (moved by hand): nothing to do for it.
      if (!(error instanceof CodedError && error.code === "already_on_provider")) throw error;
      continue;
    }
    return "migrated";
  }
  if (Date.parse(now) < Date.parse(soaking.soakUntil)) return "idle";
  const health = await deps.health.measure({ waveId, organizations: soaking.organizations, since: soaking.startedAt, until: now });
  const outcome = await handleWaveCommand(deps.store, { type: "FinishSoak", waveId, now, health }, context(`soak of batch ${soaking.batch + 1}`));
  return outcome.state.status === "completed" ? "completed" : "soak-finished";
}

/** Steps the wave until it waits; returns the steps taken (for logs and tests). */
export async function runWave(deps: WaveRunnerDeps, waveId: string): Promise<StepResult[]> {
  const steps: StepResult[] = [];
  for (;;) {
    const step = await stepWave(deps, waveId);
    steps.push(step);
    if (step === "idle" || step === "completed") return steps;
  }
}

/** The wave's migration of `organizationId` is in the log (its metadata names the wave). */
async function migratedByWave(deps: WaveRunnerDeps, waveId: string, organizationId: string): Promise<boolean> {
  const history = await deps.store.readStream(streamIdOf(organizationId));
  return history.some((e) => e.type === "OrganizationMigrated" && e.metadata.wave?.waveId === waveId);
}

/**
 * An abort that asked for rollback: each organization this wave migrated and that is still on
 * the wave's provider is rolled back, one per step, as a command with actor and reason.
 */
async function rollBackOne(deps: WaveRunnerDeps, wave: PlannedWave): Promise<StepResult> {
  for (const batch of wave.batches) {
    for (const organizationId of batch.organizations) {
      const history = await deps.store.readStream(streamIdOf(organizationId));
      const migrated = history.findIndex((e) => e.type === "OrganizationMigrated" && e.metadata.wave?.waveId === wave.id);
      if (migrated < 0) continue;
      const after = history.slice(migrated + 1);
      if (after.some((e) => e.type === "OrganizationRolledBack" || e.type === "OrganizationMigrated")) continue;
      const outcome = await handleCommand(deps.store, deps.providers, { type: "RollBackOrganization", organizationId, reason: `wave ${wave.name} aborted` }, {
        ...context(`abort of wave ${wave.id}`),
        wave: { waveId: wave.id, batch: batch.batch },
      });
      if (outcome.appended > 0) deps.onAppended?.({ organizationId, position: outcome.position });
      return "rolled-back";
    }
  }
  return "idle";
}

const context = (reason: string) => ({ actor: ACTOR, requestId: crypto.randomUUID(), reason });

/**
 * The runner every API replica starts: it holds the `wave-runner` lease (only one replica drives
 * waves), and on every tick steps each running, paused-with-rollback or aborted wave until it
 * waits. `tick` is exposed for tests; `start` ticks every `intervalMs`.
 */
export function waveRunner(deps: WaveRunnerDeps & { holder: string; leaseMs?: number; log?: (entry: Record<string, unknown>) => void }) {
  const leaseMs = deps.leaseMs ?? 30_000;
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<void> | undefined;
  async function tick(): Promise<boolean> {
    if (!(await deps.store.acquireLease("wave-runner", deps.holder, leaseMs))) return false;
    const waves = await deps.store.listWaves({ status: ["running", "aborted"] });
    for (const wave of waves) await runWave(deps, wave.state.id);
    return true;
  }
  return {
    tick,
    start(intervalMs: number) {
      timer = setInterval(() => {
        running ??= tick()
          .then(
            () => undefined,
            (error) => deps.log?.({ level: "warn", msg: "wave runner step failed; it retries on the next tick", error: String(error) }),
          )
          .finally(() => (running = undefined));
      }, intervalMs);
    },
    /** Stops ticking and gives the lease up (best effort: otherwise it runs out). */
    async stop() {
      if (timer) clearInterval(timer);
      await running;
      await deps.store.releaseLease("wave-runner", deps.holder).catch(() => undefined);
    },
  };
}
