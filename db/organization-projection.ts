import { DomainError } from "../shared/errors.ts";
import type { OrganizationEvent } from "../shared/events.ts";
import { identifierKey, type Identifier } from "../shared/identifiers.ts";
import { lookupSpelling, spellingKey } from "../shared/identifier-spelling.ts";
import { evolve, initialState, type OrganizationState } from "../shared/organization.ts";
import { and, asc, eq, gt, sql as q } from "drizzle-orm";
import { utcMicroseconds } from "./event-rows.ts";
import { ormOf } from "./orm.ts";
import { identifiers as identifiersTable, organizations } from "./schema.ts";
import type { FoldedStream, ProjectionChange, Projection, ProjectionDifference } from "./projections.ts";
import type { Sql } from "./sql.ts";

/** An organization as the projection holds it: what routers and the API read. */
export type OrganizationView = {
  id: string;
  name: string;
  provider: string;
  version: number;
  position: number;
  transactionId: string;
  rollbackTo: string[];
  identifiers: Identifier[];
  tags: string[];
  updatedAt: string;
};

/** The organization's columns, typed by the schema, its time as exact text and its identifiers beside it. */
const ORGANIZATION_FIELDS = {
  id: organizations.id,
  name: organizations.name,
  provider: organizations.provider,
  version: organizations.version,
  position: organizations.position,
  transactionId: organizations.transactionId,
  rollbackTo: organizations.rollbackTo,
  updatedAt: utcMicroseconds(organizations.updatedAt),
  tags: organizations.tags,
  identifiers: q<Identifier[] | null>`(SELECT jsonb_agg(jsonb_build_object('kind', i.kind, 'value', i.value) ORDER BY i.kind, i.value)
                                        FROM ${identifiersTable} i WHERE i.organization_id = ${organizations.id})`,
};

type Change = ProjectionChange<OrganizationState>;

/**
 * The projection row, written by the append statement itself (a CTE over `inserted`): same
 * transaction as the events, position of the last event, transaction id of the append, updated
 * when the events were recorded (CTE `recorded`).
 */
const upsertOrganization = {
  sql: q`INSERT INTO ${organizations} (id, name, provider, version, position, transaction_id, rollback_to, updated_at, tags)
  SELECT ${q.placeholder("org_id")}::text, ${q.placeholder("org_name")}::text, ${q.placeholder("org_provider")}::text, ${q.placeholder("version")}::int,
         (SELECT max(position) FROM inserted), pg_current_xact_id(), ${q.placeholder("org_rollback_to")}::jsonb, (SELECT at FROM recorded), ${q.placeholder("org_tags")}::jsonb
   WHERE EXISTS (SELECT 1 FROM inserted)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, provider = excluded.provider, version = excluded.version,
    position = excluded.position, transaction_id = excluded.transaction_id, rollback_to = excluded.rollback_to,
    updated_at = excluded.updated_at, tags = excluded.tags
  RETURNING 1`,
  values: ({ after: o }: Change) =>
    o.status === "registered" ? { org_id: o.id, org_name: o.name, org_provider: o.provider, org_rollback_to: o.rollbackTo, org_tags: o.tags } : null,
};

function identifierDiff(before: OrganizationState, after: OrganizationState): { added: Identifier[]; removed: Identifier[] } {
  const old = before.status === "registered" ? before.identifiers : [];
  const now = after.status === "registered" ? after.identifiers : [];
  // By normal form: another spelling of a linked identity is no change (shared/identifier-spelling.ts).
  const had = new Set(old.map(spellingKey));
  const has = new Set(now.map(spellingKey));
  return { added: now.filter((i) => !had.has(spellingKey(i))), removed: old.filter((i) => !has.has(spellingKey(i))) };
}

/**
 * Writes the identifiers that changed, inside the append transaction. Inserts use ON CONFLICT DO
 * NOTHING: a row that did not go in belongs to another organization (the primary key spans all
 * streams), so the append fails with identifier_taken and the transaction rolls back.
 */
async function writeIdentifiers(tx: Sql, { before, after }: Change): Promise<void> {
  if (after.status !== "registered") return;
  const { added, removed } = identifierDiff(before, after);
  for (const identifier of removed) {
    // The row holds the normal form, or (written before normalization) the spelling the event has.
    const spellings = [identifier.value, lookupSpelling(identifier.kind, identifier.value)];
    await tx.query("DELETE FROM identifiers WHERE kind = $1 AND value = ANY($2::text[]) AND organization_id = $3", [identifier.kind, spellings, after.id]);
  }
  if (added.length === 0) return;
  // Stored in normal form, so the primary key gives one identity one owner whatever its spelling.
  const normal = added.map((i) => ({ kind: i.kind, value: lookupSpelling(i.kind, i.value) }));
  const inserted = await tx.query<{ kind: string; value: string }>(
    `INSERT INTO identifiers (kind, value, organization_id)
     SELECT k, v, $3 FROM unnest($1::text[], $2::text[]) AS t(k, v)
     ON CONFLICT DO NOTHING RETURNING kind, value`,
    [normal.map((i) => i.kind), normal.map((i) => i.value), after.id],
  );
  if (inserted.length < added.length) {
    const went = new Set(inserted.map((i) => `${i.kind}\u0000${i.value}`));
    const taken = added.find((i) => !went.has(spellingKey(i)))!;
    throw new DomainError("identifier_taken", `${taken.kind} ${taken.value} already belongs to another organization`, {
      identifier: taken,
    });
  }
}

/**
 * A projection row as replay compares it. Its transaction id is bookkeeping, not state: rows a
 * replay swaps in carry the replay's own transaction id, so routers read them again.
 */
type ProjectedRow = { id: string; name: string; provider: string; version: number; position: number; rollback_to: string[]; updated_at: string; tags: string[]; identifiers: string[] };

const FIELDS = ["name", "provider", "version", "position", "rollback_to", "updated_at", "tags", "identifiers"] as const;
const PAGE = 20_000;

function rows(streams: Iterable<FoldedStream<OrganizationState>>): Map<string, ProjectedRow> {
  const result = new Map<string, ProjectedRow>();
  for (const f of streams) {
    if (f.state.status !== "registered") continue;
    result.set(f.state.id, {
      id: f.state.id,
      name: f.state.name,
      provider: f.state.provider,
      version: f.version,
      position: f.position,
      rollback_to: f.state.rollbackTo,
      updated_at: f.recordedAt,
      tags: f.state.tags,
      identifiers: f.state.identifiers.map(spellingKey).sort(),
    });
  }
  return result;
}

async function live(tx: Sql): Promise<Map<string, ProjectedRow>> {
  const orm = ormOf(tx);
  const o = organizations;
  const i = identifiersTable;
  // sql templates, not typed selects: replay reads every row, and drizzle's row mapping costs microseconds a row.
  const found = await orm.execute<Omit<ProjectedRow, "identifiers">>(
    q`SELECT ${o.id}, ${o.name}, ${o.provider}, ${o.version}, ${o.position}, ${o.rollbackTo}, ${utcMicroseconds(o.updatedAt)} AS updated_at, ${o.tags} FROM ${o}`,
  );
  const ids = await orm.execute<{ kind: Identifier["kind"]; value: string; organization_id: string }>(q`SELECT ${i.kind}, ${i.value}, ${i.organizationId} FROM ${i}`);
  const map = new Map<string, ProjectedRow>(found.map((r) => [r.id, { ...r, position: Number(r.position), identifiers: [] }]));
  // Raw, not normal form: verify then shows a row still in a spelling from before normalization.
  for (const row of ids) map.get(row.organization_id)?.identifiers.push(identifierKey({ kind: row.kind, value: row.value }));
  for (const r of map.values()) r.identifiers.sort();
  return map;
}

function compare(id: string, a: ProjectedRow | undefined, b: ProjectedRow | undefined): ProjectionDifference[] {
  if (!a || !b) return [{ organizationId: id, field: "(row)", live: a ? "present" : "missing", replayed: b ? "present" : "missing" }];
  return FIELDS.filter((field) => JSON.stringify(a[field]) !== JSON.stringify(b[field])).map((field) => ({ organizationId: id, field, live: a[field], replayed: b[field] }));
}

/**
 * Writes the replayed rows into the live tables. They are staged in temporary tables first; then
 * the live tables are truncated and filled from them in this same transaction, so a reader sees
 * the old projection or the new one (TRUNCATE takes the same ACCESS EXCLUSIVE lock a DROP did,
 * held only for the copy). The tables themselves are kept, so every constraint, index, trigger
 * and grant keeps its name and later migrations still apply on a replayed database.
 */
async function swapIn(tx: Sql, replayed: Map<string, ProjectedRow>): Promise<void> {
  await tx.query("CREATE TEMPORARY TABLE organizations_replay (LIKE organizations INCLUDING DEFAULTS) ON COMMIT DROP");
  await tx.query("CREATE TEMPORARY TABLE identifiers_replay (LIKE identifiers INCLUDING DEFAULTS) ON COMMIT DROP");
  const all = [...replayed.values()];
  for (let i = 0; i < all.length; i += PAGE) {
    const chunk = all.slice(i, i + PAGE);
    await tx.query(
      `INSERT INTO organizations_replay (id, name, provider, version, position, transaction_id, rollback_to, updated_at, tags)
       SELECT id, name, provider, version, position, pg_current_xact_id(), rollback_to, updated_at, tags
         FROM jsonb_to_recordset($1::jsonb)
           AS r(id text, name text, provider text, version int, position int8, rollback_to jsonb, updated_at timestamptz, tags jsonb)`,
      [chunk.map(({ identifiers: _, ...row }) => row)],
    );
  }
  const identifiers = all.flatMap((r) => r.identifiers.map((key) => [...key.split("\u0000"), r.id] as [string, string, string]));
  for (let i = 0; i < identifiers.length; i += PAGE) {
    const chunk = identifiers.slice(i, i + PAGE);
    await tx.query("INSERT INTO identifiers_replay (kind, value, organization_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])", [
      chunk.map((c) => c[0]),
      chunk.map((c) => c[1]),
      chunk.map((c) => c[2]),
    ]);
  }
  await tx.query("TRUNCATE organizations, identifiers");
  await tx.query(
    `INSERT INTO organizations (id, name, provider, version, position, transaction_id, rollback_to, updated_at, tags)
     SELECT id, name, provider, version, position, transaction_id, rollback_to, updated_at, tags FROM organizations_replay`,
  );
  await tx.query("INSERT INTO identifiers (kind, value, organization_id) SELECT kind, value, organization_id FROM identifiers_replay");
}

/** The route table the routers read (`organizations`) and the identifiers that find an organization. */
export const organizationProjection: Projection<OrganizationState, ProjectedRow> = {
  streamType: "organization",
  initialState,
  evolve: (state, event) => evolve(state, event as OrganizationEvent),
  inStatement: upsertOrganization,
  writes: ({ before, after }) => {
    const { added, removed } = identifierDiff(before, after);
    return added.length > 0 || removed.length > 0;
  },
  write: writeIdentifiers,
  rebuild: {
    rows,
    live,
    compare,
    swapIn,
    counts: (replayed) => ({ organizations: replayed.size, identifiers: [...replayed.values()].reduce((n, r) => n + r.identifiers.length, 0) }),
  },
};

export async function readOrganization(sql: Sql, id: string): Promise<OrganizationView | null> {
  const found = await ormOf(sql).select(ORGANIZATION_FIELDS).from(organizations).where(eq(organizations.id, id));
  return found[0] ? toView(found[0]) : null;
}

/** `tags`: organizations carrying every one of them; `search`: text found in the id, the name or an identifier's value (any case). */
export type OrganizationFilter = { provider?: string; tags?: string[]; search?: string; after?: string; limit: number };

/** `text` as a LIKE pattern matching it anywhere, its own `%`, `_` and `\` taken literally. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function listOrganizations(sql: Sql, filter: OrganizationFilter): Promise<OrganizationView[]> {
  const found = await ormOf(sql)
    .select(ORGANIZATION_FIELDS)
    .from(organizations)
    .where(
      and(
        filter.provider !== undefined ? eq(organizations.provider, filter.provider) : undefined,
        filter.tags !== undefined && filter.tags.length > 0 ? q`${organizations.tags} @> ${q.param(filter.tags)}::jsonb` : undefined,
        filter.after !== undefined ? gt(organizations.id, filter.after) : undefined,
        filter.search !== undefined && filter.search !== ""
          ? q`(${organizations.id} ILIKE ${containing(filter.search)} OR ${organizations.name} ILIKE ${containing(filter.search)}
               OR EXISTS (SELECT 1 FROM ${identifiersTable} i WHERE i.organization_id = ${organizations.id} AND i.value ILIKE ${containing(filter.search)}))`
          : undefined,
      ),
    )
    .orderBy(asc(organizations.id))
    .limit(filter.limit);
  return found.map(toView);
}

function toView(row: Omit<OrganizationView, "identifiers"> & { identifiers: Identifier[] | null }): OrganizationView {
  return { ...row, position: Number(row.position), transactionId: String(row.transactionId), identifiers: row.identifiers ?? [] };
}
