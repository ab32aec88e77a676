import { cell, fields, table } from "../../output.ts";

/** A batch's health as the wave runner measured it over the soak (shared/wave.ts `BatchHealthReport`). */
export type BatchHealthJson = { rolledBack: string[]; successRate: number | null; logins: number };

/** A wave's progress as `GET /v1/waves/{id}` answers it (services/commands/wave-routes.ts `progress`). */
export type WaveJson = {
  id: string;
  name: string;
  status: "running" | "paused" | "completed" | "aborted";
  to: string;
  batchSize: number;
  soakMinutes: number;
  guard: { minSuccessRate: number };
  batches: { total: number; done: number };
  organizations: { total: number; pending: number; onTarget: number; notOnTarget: number };
  currentBatch: { batch: number; organizations: string[]; startedAt: string; soakUntil: string; soakRemainingSeconds: number } | null;
  pauses: { by: "guard" | "operator"; reason: string; health?: BatchHealthJson }[];
  version: number;
};

/** One row of `GET /v1/waves`. */
export type WaveSummaryJson = { id: string; name: string; status: string; to: string; organizations: number; batchesDone: number; batches: number; version: number };

/** One event of `GET /v1/waves/{id}/events`. */
export type WaveEventJson = { position: number; version: number; type: string; data: Record<string, unknown>; actor: string; reason: string | null; requestId: string; recordedAt: string; eventId: string };

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;
const minutes = (seconds: number) => (seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`);

/** The wave as an operator watches it: where it stands, the batch soaking, and every pause with its reason. */
export function printWave(out: (line: string) => void, wave: WaveJson): void {
  const o = wave.organizations;
  const lines = fields([
    ["id", wave.id],
    ["name", cell(wave.name)],
    ["status", wave.status],
    ["to", wave.to],
    ["batches", `${wave.batches.done} of ${wave.batches.total} done (batches of ${wave.batchSize}, soak ${wave.soakMinutes} min)`],
    ["organizations", `${o.total}: ${o.onTarget} on ${wave.to}, ${o.notOnTarget} moved back or elsewhere, ${o.pending} not started`],
    ["guard", `pause when a batch's login success rate is below ${percent(wave.guard.minSuccessRate)}, or when any of its organizations is rolled back`],
    ["version", String(wave.version)],
  ]);
  for (const line of lines) out(line);
  const current = wave.currentBatch;
  if (current) {
    out("");
    out(`batch ${current.batch} (${current.organizations.join(", ")}): started ${current.startedAt}, soaks until ${current.soakUntil} (${minutes(current.soakRemainingSeconds)} left)`);
  }
  out("");
  if (wave.pauses.length === 0) return out("no pauses");
  const rows = wave.pauses.map((p) => [p.by, p.health ? healthCell(p.health) : "-", cell(p.reason)]);
  for (const line of table(["PAUSED BY", "HEALTH", "REASON"], rows)) out(line);
}

const healthCell = (h: BatchHealthJson) => `${h.rolledBack.length} rolled back, ${h.successRate === null ? "no logins" : `${percent(h.successRate)} of ${h.logins} logins`}`;

export function waveListTable(waves: readonly WaveSummaryJson[]): string[] {
  return table(
    ["ID", "NAME", "STATUS", "TO", "ORGS", "BATCHES"],
    waves.map((w) => [w.id, cell(w.name), w.status, w.to, String(w.organizations), `${w.batchesDone}/${w.batches}`]),
  );
}

/** What each wave event changed, in a few words. */
function detailOf(e: WaveEventJson): string {
  const d = e.data as Record<string, any>;
  switch (e.type) {
    case "WavePlanned":
      return `${d.organizations?.length ?? 0} organizations to ${d.to}, batches of ${d.batchSize}, soak ${d.soakMinutes} min`;
    case "BatchStarted":
      return `batch ${Number(d.batch) + 1}: ${(d.organizations ?? []).join(", ")}; soaks until ${d.soakUntil}`;
    case "BatchSoaked":
      return `batch ${Number(d.batch) + 1} ${d.healthy ? "healthy" : "unhealthy"}${d.health ? `: ${healthCell(d.health)}` : ""}`;
    case "WavePaused":
      return `by ${d.by}: ${d.reason}`;
    case "WaveAborted":
      return d.rollBack ? "rolling back what it migrated" : "organizations stay where they are";
    default:
      return "-";
  }
}

export function waveEventTable(events: readonly WaveEventJson[]): string[] {
  return table(
    ["VERSION", "RECORDED", "TYPE", "DETAIL", "ACTOR", "REASON"],
    events.map((e) => [String(e.version), e.recordedAt, e.type, cell(detailOf(e)), e.actor, cell(e.reason)]),
  );
}
