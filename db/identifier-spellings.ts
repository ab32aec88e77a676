import { lookupSpelling } from "../shared/identifier-spelling.ts";
import type { IdentifierKind } from "../shared/identifiers.ts";
import type { Database } from "./sql.ts";

/** Two organizations holding one identity in different spellings, written before normalization. */
export type SpellingCollision = { kind: IdentifierKind; normal: string; holders: { organizationId: string; value: string }[] };

/**
 * Brings identifiers written before normalization existed to their normal form (the projection
 * only: the log keeps what was sent), so the primary key gives one identity one owner. Where two
 * organizations hold one identity in different spellings nothing is changed: that needs an
 * operator (unlink one), and it is returned to be reported. Only kinds that have a normal form
 * other than the value itself are read; plain lower-case domains are skipped in SQL.
 */
export async function normalizeIdentifierSpellings(db: Database): Promise<{ rewritten: number; collisions: SpellingCollision[] }> {
  return db.transaction(async (tx) => {
    const rows = await tx.query<{ kind: IdentifierKind; value: string; organization_id: string }>(
      `SELECT kind, value, organization_id FROM identifiers
        WHERE kind = 'oidc_issuer' OR (kind = 'domain' AND value !~ '^[a-z0-9.-]+$') OR (kind = 'domain' AND value LIKE '%.')
        FOR UPDATE`,
    );
    const byNormal = new Map<string, { kind: IdentifierKind; normal: string; rows: { organizationId: string; value: string }[] }>();
    for (const row of rows) {
      const normal = lookupSpelling(row.kind, row.value);
      const key = `${row.kind}\u0000${normal}`;
      const group = byNormal.get(key) ?? { kind: row.kind, normal, rows: [] };
      group.rows.push({ organizationId: row.organization_id, value: row.value });
      byNormal.set(key, group);
    }
    let rewritten = 0;
    const collisions: SpellingCollision[] = [];
    for (const group of byNormal.values()) {
      const owners = new Set(group.rows.map((r) => r.organizationId));
      if (owners.size > 1) {
        collisions.push({ kind: group.kind, normal: group.normal, holders: group.rows });
        continue;
      }
      const [owner] = owners;
      const stale = group.rows.filter((r) => r.value !== group.normal);
      if (stale.length === 0) continue;
      // The normal form may be held by a row not read above (a plain lower-case domain).
      const [holder] = await tx.query<{ organization_id: string }>("SELECT organization_id FROM identifiers WHERE kind = $1 AND value = $2", [group.kind, group.normal]);
      if (holder && holder.organization_id !== owner) {
        collisions.push({ kind: group.kind, normal: group.normal, holders: [...group.rows, { organizationId: holder.organization_id, value: group.normal }] });
        continue;
      }
      // One organization: its spellings collapse into the normal form.
      await tx.query("DELETE FROM identifiers WHERE kind = $1 AND organization_id = $2 AND value = ANY($3::text[])", [group.kind, owner, stale.map((r) => r.value)]);
      await tx.query("INSERT INTO identifiers (kind, value, organization_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [group.kind, group.normal, owner]);
      rewritten += stale.length;
    }
    return { rewritten, collisions };
  });
}
