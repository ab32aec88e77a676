import { DomainError } from "../shared/errors.ts";
import { identifierKey, type Identifier } from "../shared/identifiers.ts";
import type { OrganizationState, RegisteredOrganization } from "../shared/organization.ts";
import { utcMicroseconds } from "./event-rows.ts";
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
  updatedAt: string;
};

type OrganizationRow = {
  id: string;
  name: string;
  provider: string;
  version: number;
  position: number;
  transaction_id: string;
  rollback_to: string[];
  updated: string;
  identifiers: Identifier[] | null;
};

const SELECT_ORGANIZATION = `
  SELECT o.id, o.name, o.provider, o.version, o.position, o.transaction_id, o.rollback_to, ${utcMicroseconds("o.updated_at")} AS updated,
         (SELECT jsonb_agg(jsonb_build_object('kind', i.kind, 'value', i.value) ORDER BY i.kind, i.value)
            FROM identifiers i WHERE i.organization_id = o.id) AS identifiers
    FROM organizations o`;

/**
 * The projection row, written by the append statement itself (a CTE over `inserted`): same
 * transaction as the events, position of the last event, transaction id of the append, updated
 * when the events were recorded (CTE `recorded`). Parameters $6-$9: id, name, provider,
 * rollback_to; version is $3.
 */
export const UPSERT_ORGANIZATION = `
  INSERT INTO organizations (id, name, provider, version, position, transaction_id, rollback_to, updated_at)
  SELECT $6::text, $7::text, $8::text, $3::int, (SELECT max(position) FROM inserted), pg_current_xact_id(), $9::jsonb, (SELECT at FROM recorded)
   WHERE $6::text IS NOT NULL AND EXISTS (SELECT 1 FROM inserted)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, provider = excluded.provider, version = excluded.version,
    position = excluded.position, transaction_id = excluded.transaction_id, rollback_to = excluded.rollback_to,
    updated_at = excluded.updated_at
  RETURNING 1`;

function identifierDiff(before: OrganizationState, after: OrganizationState): { added: Identifier[]; removed: Identifier[] } {
  const old = before.status === "registered" ? before.identifiers : [];
  const now = after.status === "registered" ? after.identifiers : [];
  const had = new Set(old.map(identifierKey));
  const has = new Set(now.map(identifierKey));
  return { added: now.filter((i) => !had.has(identifierKey(i))), removed: old.filter((i) => !has.has(identifierKey(i))) };
}

export const identifiersChange = (before: OrganizationState, after: OrganizationState): boolean => {
  const { added, removed } = identifierDiff(before, after);
  return added.length > 0 || removed.length > 0;
};

/**
 * Writes the identifiers that changed, inside the append transaction. Inserts use ON CONFLICT DO
 * NOTHING: a row that did not go in belongs to another organization (the primary key spans all
 * streams), so the append fails with identifier_taken and the transaction rolls back.
 */
export async function writeIdentifiers(tx: Sql, before: OrganizationState, after: RegisteredOrganization): Promise<void> {
  const { added, removed } = identifierDiff(before, after);
  for (const identifier of removed) {
    await tx.query("DELETE FROM identifiers WHERE kind = $1 AND value = $2 AND organization_id = $3", [identifier.kind, identifier.value, after.id]);
  }
  if (added.length === 0) return;
  const inserted = await tx.query<{ kind: string; value: string }>(
    `INSERT INTO identifiers (kind, value, organization_id)
     SELECT k, v, $3 FROM unnest($1::text[], $2::text[]) AS t(k, v)
     ON CONFLICT DO NOTHING RETURNING kind, value`,
    [added.map((i) => i.kind), added.map((i) => i.value), after.id],
  );
  if (inserted.length < added.length) {
    const went = new Set(inserted.map((i) => `${i.kind}\u0000${i.value}`));
    const taken = added.find((i) => !went.has(identifierKey(i)))!;
    throw new DomainError("identifier_taken", `${taken.kind} ${taken.value} already belongs to another organization`, {
      identifier: taken,
    });
  }
}

export async function readOrganization(sql: Sql, id: string): Promise<OrganizationView | null> {
  const rows = await sql.query<OrganizationRow>(`${SELECT_ORGANIZATION} WHERE o.id = $1`, [id]);
  return rows[0] ? toView(rows[0]) : null;
}

export type OrganizationFilter = { provider?: string; after?: string; limit: number };

export async function listOrganizations(sql: Sql, filter: OrganizationFilter): Promise<OrganizationView[]> {
  const rows = await sql.query<OrganizationRow>(
    `${SELECT_ORGANIZATION} WHERE ($1::text IS NULL OR o.provider = $1) AND ($2::text IS NULL OR o.id > $2) ORDER BY o.id LIMIT $3`,
    [filter.provider ?? null, filter.after ?? null, filter.limit],
  );
  return rows.map(toView);
}

function toView(row: OrganizationRow): OrganizationView {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    version: row.version,
    position: Number(row.position),
    transactionId: String(row.transaction_id),
    rollbackTo: row.rollback_to,
    identifiers: row.identifiers ?? [],
    updatedAt: row.updated,
  };
}
