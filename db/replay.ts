import type { OrganizationEvent } from "../shared/events.ts";
import { identifierKey } from "../shared/identifiers.ts";
import { evolve, initialState, type OrganizationState } from "../shared/organization.ts";
import { utcMicroseconds } from "./event-rows.ts";
import type { Sql } from "./sql.ts";

export type ProjectionDifference = { organizationId: string; field: string; live: unknown; replayed: unknown };
export type ReplayReport = {
  events: number;
  organizations: number;
  identifiers: number;
  durationMs: number;
  matched: boolean;
  differences: ProjectionDifference[];
  swapped: boolean;
};

type Folded = { state: OrganizationState; version: number; position: number; recordedAt: string };
/**
 * A projection row as replay compares it. Its transaction id is bookkeeping, not state: rows a
 * replay swaps in carry the replay's own transaction id, so routers read them again.
 */
type ProjectedRow = { id: string; name: string; provider: string; version: number; position: number; rollback_to: string[]; updated_at: string; identifiers: string[] };

const PAGE = 20_000;
const MAX_DIFFERENCES = 100;

/**
 * Folds the whole log with the same `evolve` as the live path and compares the result with the
 * live projection, in one snapshot. With `swap`, appends are held off (EXCLUSIVE lock on
 * `streams`, which every append updates) and the result replaces the live rows in the same
 * transaction (see `swapIn`): a reader sees the old projection or the new one.
 */
export async function replayProjection(sql: Sql, options: { swap: boolean }): Promise<ReplayReport> {
  const started = performance.now();
  return sql.transaction(async (tx) => {
    await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    await tx.query("SET LOCAL statement_timeout = '10min'");
    if (options.swap) await tx.query("LOCK TABLE streams IN EXCLUSIVE MODE");
    const { folded, events } = await foldLog(tx);
    const live = await readProjection(tx, "organizations", "identifiers");
    const replayed = toRows(folded);
    const differences = compare(live, replayed);
    if (options.swap) await swapIn(tx, replayed);
    return {
      events,
      organizations: replayed.size,
      identifiers: [...replayed.values()].reduce((n, r) => n + r.identifiers.length, 0),
      durationMs: Math.round(performance.now() - started),
      matched: differences.length === 0,
      differences: differences.slice(0, MAX_DIFFERENCES),
      swapped: options.swap,
    };
  });
}

async function foldLog(tx: Sql): Promise<{ folded: Map<string, Folded>; events: number }> {
  const folded = new Map<string, Folded>();
  let after = 0;
  let events = 0;
  for (;;) {
    const page = await tx.query<{ position: number; stream_version: number; type: OrganizationEvent["type"]; data: OrganizationEvent["data"]; recorded: string; organization_id: string }>(
      `SELECT position, stream_version, type, data, ${utcMicroseconds("recorded_at")} AS recorded, data->>'organizationId' AS organization_id
         FROM events WHERE position > $1 ORDER BY position LIMIT $2`,
      [after, PAGE],
    );
    for (const row of page) {
      const previous = folded.get(row.organization_id);
      const state = evolve(previous?.state ?? initialState, { type: row.type, data: row.data } as OrganizationEvent);
      folded.set(row.organization_id, { state, version: row.stream_version, position: Number(row.position), recordedAt: row.recorded });
    }
    events += page.length;
    if (page.length < PAGE) return { folded, events };
    after = Number(page.at(-1)!.position);
  }
}

function toRows(folded: Map<string, Folded>): Map<string, ProjectedRow> {
  const rows = new Map<string, ProjectedRow>();
  for (const [id, f] of folded) {
    if (f.state.status !== "registered") continue;
    rows.set(id, {
      id,
      name: f.state.name,
      provider: f.state.provider,
      version: f.version,
      position: f.position,
      rollback_to: f.state.rollbackTo,
      updated_at: f.recordedAt,
      identifiers: f.state.identifiers.map(identifierKey).sort(),
    });
  }
  return rows;
}

async function readProjection(tx: Sql, organizations: string, identifiers: string): Promise<Map<string, ProjectedRow>> {
  const rows = await tx.query<Omit<ProjectedRow, "updated_at"> & { updated: string }>(
    `SELECT id, name, provider, version, position, rollback_to, ${utcMicroseconds("updated_at")} AS updated FROM ${organizations}`,
  );
  const ids = await tx.query<{ kind: string; value: string; organization_id: string }>(`SELECT kind, value, organization_id FROM ${identifiers}`);
  const map = new Map<string, ProjectedRow>(
    rows.map(({ updated, ...r }) => [r.id, { ...r, position: Number(r.position), updated_at: updated, identifiers: [] }]),
  );
  for (const i of ids) map.get(i.organization_id)?.identifiers.push(identifierKey({ kind: i.kind as never, value: i.value }));
  for (const r of map.values()) r.identifiers.sort();
  return map;
}

const FIELDS = ["name", "provider", "version", "position", "rollback_to", "updated_at", "identifiers"] as const;

function compare(live: Map<string, ProjectedRow>, replayed: Map<string, ProjectedRow>): ProjectionDifference[] {
  const differences: ProjectionDifference[] = [];
  for (const id of new Set([...live.keys(), ...replayed.keys()])) {
    const a = live.get(id);
    const b = replayed.get(id);
    if (!a || !b) {
      differences.push({ organizationId: id, field: "(row)", live: a ? "present" : "missing", replayed: b ? "present" : "missing" });
      continue;
    }
    for (const field of FIELDS) {
      if (JSON.stringify(a[field]) !== JSON.stringify(b[field])) {
        differences.push({ organizationId: id, field, live: a[field], replayed: b[field] });
      }
    }
  }
  return differences;
}

/**
 * Writes the replayed rows into the live tables. They are staged in temporary tables first; then
 * the live tables are truncated and filled from them in this same transaction, so a reader sees
 * the old projection or the new one (TRUNCATE takes the same ACCESS EXCLUSIVE lock a DROP did,
 * held only for the copy). The tables themselves are kept, so every constraint, index, trigger
 * and grant keeps its name and later migrations still apply on a replayed database.
 */
async function swapIn(tx: Sql, rows: Map<string, ProjectedRow>): Promise<void> {
  await tx.query("CREATE TEMPORARY TABLE organizations_replay (LIKE organizations INCLUDING DEFAULTS) ON COMMIT DROP");
  await tx.query("CREATE TEMPORARY TABLE identifiers_replay (LIKE identifiers INCLUDING DEFAULTS) ON COMMIT DROP");
  const all = [...rows.values()];
  for (let i = 0; i < all.length; i += PAGE) {
    const chunk = all.slice(i, i + PAGE);
    await tx.query(
      `INSERT INTO organizations_replay (id, name, provider, version, position, transaction_id, rollback_to, updated_at)
       SELECT id, name, provider, version, position, pg_current_xact_id(), rollback_to, updated_at
         FROM jsonb_to_recordset($1::jsonb)
           AS r(id text, name text, provider text, version int, position int8, rollback_to jsonb, updated_at timestamptz)`,
      [chunk.map(({ identifiers: _, ...row }) => row)],
    );
  }
  const identifiers = all.flatMap((r) => r.identifiers.map((key) => [...key.split("\u0000"), r.id] as [string, string, string]));
  for (let i = 0; i < identifiers.length; i += PAGE) {
    const chunk = identifiers.slice(i, i + PAGE);
    await tx.query(
      "INSERT INTO identifiers_replay (kind, value, organization_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])",
      [chunk.map((c) => c[0]), chunk.map((c) => c[1]), chunk.map((c) => c[2])],
    );
  }
  await tx.query("TRUNCATE organizations, identifiers");
  await tx.query(
    `INSERT INTO organizations (id, name, provider, version, position, transaction_id, rollback_to, updated_at)
     SELECT id, name, provider, version, position, transaction_id, rollback_to, updated_at FROM organizations_replay`,
  );
  await tx.query("INSERT INTO identifiers (kind, value, organization_id) SELECT kind, value, organization_id FROM identifiers_replay");
}
