import { asc, eq, sql as q } from "drizzle-orm";
import { DomainError } from "../shared/errors.ts";
import { evolveWave, initialWaveState, type PlannedWave, type WaveEvent, type WaveState } from "../shared/wave.ts";
import { utcMicroseconds } from "./event-rows.ts";
import { ormOf } from "./orm.ts";
import type { FoldedStream, Projection, ProjectionChange, ProjectionDifference } from "./projections.ts";
import type { Sql } from "./sql.ts";
import { waveMembers, waves } from "./schema.ts";

/** A wave as the projection holds it. */
export type WaveView = { state: PlannedWave; version: number; position: number; updatedAt: string };

type Change = ProjectionChange<WaveState>;
const active = (s: WaveState): boolean => s.status === "running" || s.status === "paused";

/** The wave's row, written by the append statement (a CTE over `inserted`). */
const upsertWave = {
  sql: q`INSERT INTO ${waves} (id, status, state, version, position, updated_at)
  SELECT ${q.placeholder("wave_id")}::text, ${q.placeholder("wave_status")}::text, ${q.placeholder("wave_state")}::jsonb, ${q.placeholder("version")}::int,
         (SELECT max(position) FROM inserted), (SELECT at FROM recorded)
   WHERE EXISTS (SELECT 1 FROM inserted)
  ON CONFLICT (id) DO UPDATE SET status = excluded.status, state = excluded.state, version = excluded.version, position = excluded.position, updated_at = excluded.updated_at
  RETURNING 1`,
  values: ({ after: w }: Change) => (w.status === "none" ? null : { wave_id: w.id, wave_status: w.status, wave_state: w }),
};

/** Membership changes when a wave is planned (joins) or finishes (leaves). */
const membersChange = ({ before, after }: Change): boolean => active(before) !== active(after);

/**
 * Planned: its organizations join `wave_members`; one that does not go in is in another running
 * or paused wave, and the append fails with organization_in_wave. Completed or aborted: they leave.
 */
async function writeMembers(tx: Sql, { after }: Change): Promise<void> {
  if (after.status === "none") return;
  if (!active(after)) {
    await ormOf(tx).delete(waveMembers).where(eq(waveMembers.waveId, after.id));
    return;
  }
  const joined = await ormOf(tx).execute<{ organization_id: string }>(
    q`INSERT INTO ${waveMembers} (organization_id, wave_id) SELECT o, ${after.id} FROM unnest(${q.param(after.organizations)}::text[]) AS o
      ON CONFLICT DO NOTHING RETURNING organization_id`,
  );
  if (joined.length < after.organizations.length) {
    const went = new Set(joined.map((r) => r.organization_id));
    const taken = after.organizations.filter((o) => !went.has(o));
    throw new DomainError("organization_in_wave", `${taken.slice(0, 10).join(", ")}${taken.length > 10 ? "..." : ""} already in a running or paused wave`, { organizations: taken.slice(0, 100) });
  }
}

type WaveRow = { id: string; status: string; state: PlannedWave; version: number; position: number; updated_at: string };

function rows(streams: Iterable<FoldedStream<WaveState>>): Map<string, WaveRow> {
  const result = new Map<string, WaveRow>();
  for (const f of streams) {
    if (f.state.status === "none") continue;
    result.set(f.state.id, { id: f.state.id, status: f.state.status, state: f.state, version: f.version, position: f.position, updated_at: f.recordedAt });
  }
  return result;
}

async function live(tx: Sql): Promise<Map<string, WaveRow>> {
  const found = await ormOf(tx).execute<WaveRow>(
    q`SELECT ${waves.id}, ${waves.status}, ${waves.state}, ${waves.version}, ${waves.position}, ${utcMicroseconds(waves.updatedAt)} AS updated_at FROM ${waves}`,
  );
  return new Map(found.map((r) => [r.id, { ...r, position: Number(r.position) }]));
}

/** JSON with object keys sorted: jsonb keeps keys in its own order, the fold in insertion order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1))) : v));

function compare(id: string, a: WaveRow | undefined, b: WaveRow | undefined): ProjectionDifference[] {
  if (!a || !b) return [{ waveId: id, field: "(row)", live: a ? "present" : "missing", replayed: b ? "present" : "missing" }];
  return (["status", "state", "version", "position", "updated_at"] as const)
    .filter((f) => canonical(a[f]) !== canonical(b[f]))
    .map((field) => ({ waveId: id, field, live: a[field], replayed: b[field] }));
}

/** Replaces the waves and the memberships of the active ones, in replay's transaction. */
async function swapIn(tx: Sql, replayed: Map<string, WaveRow>): Promise<void> {
  await tx.query("TRUNCATE waves, wave_members");
  const all = [...replayed.values()];
  if (all.length === 0) return;
  await tx.query(
    `INSERT INTO waves (id, status, state, version, position, updated_at)
     SELECT id, status, state, version, position, updated_at FROM jsonb_to_recordset($1::jsonb)
       AS r(id text, status text, state jsonb, version int, position int8, updated_at timestamptz)`,
    [all],
  );
  const members = all.filter((w) => active(w.state)).flatMap((w) => w.state.organizations.map((o) => [o, w.id] as const));
  if (members.length > 0) {
    await tx.query("INSERT INTO wave_members (organization_id, wave_id) SELECT * FROM unnest($1::text[], $2::text[])", [members.map((m) => m[0]), members.map((m) => m[1])]);
  }
}

/** Waves: progress for the API, and the list the runner drives. */
export const waveProjection: Projection<WaveState, WaveRow> = {
  streamType: "wave",
  initialState: initialWaveState,
  evolve: (state, event) => evolveWave(state, event as WaveEvent),
  inStatement: upsertWave,
  writes: membersChange,
  write: writeMembers,
  rebuild: { rows, live, compare, swapIn, counts: (r) => ({ waves: r.size }) },
};

export async function readWave(sql: Sql, id: string): Promise<WaveView | null> {
  const found = await ormOf(sql)
    .select({ state: waves.state, version: waves.version, position: waves.position, updatedAt: utcMicroseconds(waves.updatedAt) })
    .from(waves)
    .where(eq(waves.id, id));
  return found[0] ?? null;
}

/** Waves by id; `status` narrows to running, paused... */
export async function listWaves(sql: Sql, filter: { status?: string[] } = {}): Promise<WaveView[]> {
  const found = await ormOf(sql)
    .select({ state: waves.state, version: waves.version, position: waves.position, updatedAt: utcMicroseconds(waves.updatedAt) })
    .from(waves)
    .where(filter.status ? q`${waves.status} = ANY(${q.param(filter.status)}::text[])` : undefined)
    .orderBy(asc(waves.id));
  return found;
}
