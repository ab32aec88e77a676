import { DomainError } from "./errors.ts";
import { checkOrganizationId, MAX_NAME, MAX_REASON } from "./organization.ts";
import { textFault } from "./text.ts";

/**
 * A wave: many organizations migrated in guarded batches, as its own event stream
 * (`wave-<waveId>`). The selection is frozen when the wave is planned; batches start one at a
 * time, each soaks for `soakMinutes` while the guard watches, and the next one starts only if
 * the guard found the batch healthy. Pure: time arrives in the command (`now`), health as the
 * numbers the guard measured.
 */
export const waveStreamIdOf = (waveId: string): string => `wave-${waveId}`;

/** When a soaked batch counts as healthy. */
export type WaveGuard = { minSuccessRate: number };
export const DEFAULT_GUARD: WaveGuard = { minSuccessRate: 0.95 };

/** What the guard measured over a batch's soak: organizations rolled back, and the login success rate (null: no logins seen). */
export type BatchHealthReport = { rolledBack: string[]; successRate: number | null; logins: number };

export type WavePlanned = {
  type: "WavePlanned";
  data: { waveId: string; name: string; to: string; organizations: string[]; batchSize: number; soakMinutes: number; guard: WaveGuard };
};
export type BatchStarted = { type: "BatchStarted"; data: { waveId: string; batch: number; organizations: string[]; startedAt: string; soakUntil: string } };
export type BatchSoaked = { type: "BatchSoaked"; data: { waveId: string; batch: number; healthy: boolean; health: BatchHealthReport } };
export type WavePaused = { type: "WavePaused"; data: { waveId: string; by: "guard" | "operator"; reason: string; health?: BatchHealthReport } };
export type WaveResumed = { type: "WaveResumed"; data: { waveId: string; reason: string } };
export type WaveCompleted = { type: "WaveCompleted"; data: { waveId: string } };
export type WaveAborted = { type: "WaveAborted"; data: { waveId: string; reason: string; rollBack: boolean } };

export type WaveEvent = WavePlanned | BatchStarted | BatchSoaked | WavePaused | WaveResumed | WaveCompleted | WaveAborted;
export const WAVE_EVENT_TYPES: readonly WaveEvent["type"][] = ["WavePlanned", "BatchStarted", "BatchSoaked", "WavePaused", "WaveResumed", "WaveCompleted", "WaveAborted"];

export type PlanWave = { type: "PlanWave"; waveId: string; name: string; to: string; organizations: string[]; batchSize: number; soakMinutes: number; guard?: WaveGuard };
export type StartBatch = { type: "StartBatch"; waveId: string; now: string };
export type FinishSoak = { type: "FinishSoak"; waveId: string; now: string; health: BatchHealthReport };
export type PauseWave = { type: "PauseWave"; waveId: string; reason: string };
export type ResumeWave = { type: "ResumeWave"; waveId: string; reason: string };
export type AbortWave = { type: "AbortWave"; waveId: string; reason: string; rollBack: boolean };
export type WaveCommand = PlanWave | StartBatch | FinishSoak | PauseWave | ResumeWave | AbortWave;

export type BatchState = { batch: number; organizations: string[]; startedAt: string; soakUntil: string; soaked: boolean; healthy: boolean | null };
export type WaveStatus = "running" | "paused" | "completed" | "aborted";
export type PlannedWave = {
  status: WaveStatus;
  id: string;
  name: string;
  to: string;
  organizations: string[];
  batchSize: number;
  soakMinutes: number;
  guard: WaveGuard;
  batches: BatchState[];
  pauses: { by: "guard" | "operator"; reason: string; health?: BatchHealthReport }[];
  rollBack: boolean;
};
export type WaveState = { status: "none" } | PlannedWave;
export const initialWaveState: WaveState = { status: "none" };

export const MAX_WAVE_ORGANIZATIONS = 10_000;
const WAVE_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The organizations of batch `batch` (0-based), in planned order. */
export const batchOf = (wave: PlannedWave, batch: number): string[] => wave.organizations.slice(batch * wave.batchSize, (batch + 1) * wave.batchSize);
export const batchCount = (wave: PlannedWave): number => Math.ceil(wave.organizations.length / wave.batchSize);

export function evolveWave(state: WaveState, event: WaveEvent): WaveState {
  if (event.type === "WavePlanned") {
    const d = event.data;
    return { status: "running", id: d.waveId, name: d.name, to: d.to, organizations: d.organizations, batchSize: d.batchSize, soakMinutes: d.soakMinutes, guard: d.guard, batches: [], pauses: [], rollBack: false };
  }
  if (state.status === "none") return state;
  switch (event.type) {
    case "BatchStarted":
      return { ...state, batches: [...state.batches, { batch: event.data.batch, organizations: event.data.organizations, startedAt: event.data.startedAt, soakUntil: event.data.soakUntil, soaked: false, healthy: null }] };
    case "BatchSoaked":
      return { ...state, batches: state.batches.map((b) => (b.batch === event.data.batch ? { ...b, soaked: true, healthy: event.data.healthy } : b)) };
    case "WavePaused":
      return { ...state, status: "paused", pauses: [...state.pauses, { by: event.data.by, reason: event.data.reason, ...(event.data.health ? { health: event.data.health } : {}) }] };
    case "WaveResumed":
      return { ...state, status: "running" };
    case "WaveCompleted":
      return { ...state, status: "completed" };
    case "WaveAborted":
      return { ...state, status: "aborted", rollBack: event.data.rollBack };
  }
}

export const foldWave = (events: Iterable<WaveEvent>, from: WaveState = initialWaveState): WaveState => {
  let state = from;
  for (const event of events) state = evolveWave(state, event);
  return state;
};

/** The batch that started last and has not finished soaking, if any. */
export const soakingBatch = (wave: PlannedWave): BatchState | undefined => wave.batches.find((b) => !b.soaked);

/** Business rules of a wave: given its state and a command, the new events or a DomainError. */
export function decideWave(command: WaveCommand, state: WaveState): WaveEvent[] {
  const waveId = command.waveId;
  if (command.type === "PlanWave") {
    if (state.status !== "none") throw new DomainError("wave_exists", `wave ${waveId} already exists`);
    const plan = checkPlan(command);
    return [{ type: "WavePlanned", data: plan }];
  }
  if (state.status === "none") throw new DomainError("wave_not_found", `wave ${waveId} does not exist`);
  if (state.status === "completed" || state.status === "aborted") throw new DomainError("wave_finished", `wave ${waveId} is already ${state.status}`);
  switch (command.type) {
    case "StartBatch": {
      if (state.status === "paused") throw new DomainError("wave_paused", `wave ${waveId} is paused: resume it first`);
      if (soakingBatch(state)) throw new DomainError("batch_not_ready", `batch ${soakingBatch(state)!.batch + 1} of wave ${waveId} is still soaking`);
      const batch = state.batches.length;
      if (batch >= batchCount(state)) return [{ type: "WaveCompleted", data: { waveId } }];
      const soakUntil = new Date(Date.parse(command.now) + state.soakMinutes * 60_000).toISOString();
      return [{ type: "BatchStarted", data: { waveId, batch, organizations: batchOf(state, batch), startedAt: command.now, soakUntil } }];
    }
    case "FinishSoak": {
      const soaking = soakingBatch(state);
      if (!soaking) throw new DomainError("batch_not_ready", `wave ${waveId} has no batch soaking`);
      if (Date.parse(command.now) < Date.parse(soaking.soakUntil)) throw new DomainError("batch_not_ready", `batch ${soaking.batch + 1} soaks until ${soaking.soakUntil}`);
      const trip = tripReason(state.guard, command.health);
      const soaked: BatchSoaked = { type: "BatchSoaked", data: { waveId, batch: soaking.batch, healthy: trip === null, health: command.health } };
      if (trip !== null) return [soaked, { type: "WavePaused", data: { waveId, by: "guard", reason: trip, health: command.health } }];
      if (state.status === "paused") return [soaked];
      return soaking.batch + 1 >= batchCount(state) ? [soaked, { type: "WaveCompleted", data: { waveId } }] : [soaked];
    }
    case "PauseWave": {
      if (state.status === "paused") return [];
      return [{ type: "WavePaused", data: { waveId, by: "operator", reason: checkReason(command.reason) } }];
    }
    case "ResumeWave": {
      if (state.status !== "paused") throw new DomainError("wave_not_paused", `wave ${waveId} is not paused`);
      return [{ type: "WaveResumed", data: { waveId, reason: checkReason(command.reason) } }];
    }
    case "AbortWave":
      return [{ type: "WaveAborted", data: { waveId, reason: checkReason(command.reason), rollBack: command.rollBack } }];
  }
}

/** Why the guard stops the wave after this batch, with the numbers, or null when it holds. */
function tripReason(guard: WaveGuard, health: BatchHealthReport): string | null {
  const rate = health.successRate === null ? null : `login success rate ${(health.successRate * 100).toFixed(1)}% over ${health.logins} logins`;
  if (health.rolledBack.length > 0) return `${health.rolledBack.length} organization(s) of the batch rolled back: ${health.rolledBack.join(", ")}${rate ? `; ${rate}` : ""}`;
  if (health.successRate !== null && health.successRate < guard.minSuccessRate) return `${rate} is below ${(guard.minSuccessRate * 100).toFixed(1)}%`;
  return null;
}

function checkPlan(command: PlanWave): WavePlanned["data"] {
  if (typeof command.waveId !== "string" || !WAVE_ID.test(command.waveId)) throw new DomainError("invalid_wave", "a wave id is 1-63 lower-case letters, digits, - or _");
  const nameFault = typeof command.name !== "string" || command.name.trim() === "" ? "is required" : textFault(command.name, { max: MAX_NAME });
  if (nameFault) throw new DomainError("invalid_wave", `the wave's name ${nameFault}`);
  if (!Number.isInteger(command.batchSize) || command.batchSize < 1 || command.batchSize > 1000) throw new DomainError("invalid_wave", "batchSize is an integer from 1 to 1000");
  if (!Number.isInteger(command.soakMinutes) || command.soakMinutes < 0 || command.soakMinutes > 7 * 24 * 60) throw new DomainError("invalid_wave", "soakMinutes is an integer from 0 to 10080 (a week)");
  const guard = command.guard ?? DEFAULT_GUARD;
  if (!(guard.minSuccessRate >= 0 && guard.minSuccessRate <= 1)) throw new DomainError("invalid_wave", "guard.minSuccessRate is a number from 0 to 1");
  if (command.organizations.length === 0) throw new DomainError("wave_selects_nothing", "the wave selects no organization");
  if (command.organizations.length > MAX_WAVE_ORGANIZATIONS) throw new DomainError("invalid_wave", `a wave holds at most ${MAX_WAVE_ORGANIZATIONS} organizations`);
  const seen = new Set<string>();
  for (const id of command.organizations) {
    checkOrganizationId(id);
    if (seen.has(id)) throw new DomainError("invalid_wave", `organization ${id} is listed twice`);
    seen.add(id);
  }
  return { waveId: command.waveId, name: command.name.trim(), to: command.to, organizations: command.organizations, batchSize: command.batchSize, soakMinutes: command.soakMinutes, guard };
}

function checkReason(reason: string): string {
  const trimmed = typeof reason === "string" ? reason.trim() : "";
  if (trimmed === "") throw new DomainError("reason_required", "pausing, resuming or aborting a wave needs a reason (it goes into the wave's history)");
  const fault = textFault(reason, { max: MAX_REASON, multiline: true });
  if (fault) throw new DomainError("invalid_reason", `the reason ${fault}`);
  return trimmed;
}
