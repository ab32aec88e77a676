import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { migrate as applyMigrations } from "../../db/migrate.ts";
import { BACKENDS, type StoreFixture } from "../support/stores.ts";
import { migrate, register, rollBack, run } from "../support/commands.ts";
import { unique } from "../support/unique.ts";

/** Every constraint, index and trigger on the projection tables, by name, with its definition. */
const CATALOG = `
  SELECT c.relname AS "table", 'constraint' AS kind, con.conname AS name, pg_get_constraintdef(con.oid) AS definition
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
   WHERE c.relname IN ('organizations', 'identifiers') AND c.relnamespace = 'public'::regnamespace
  UNION ALL
  SELECT tablename, 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('organizations', 'identifiers')
  UNION ALL
  SELECT c.relname, 'trigger', t.tgname, pg_get_triggerdef(t.oid)
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
   WHERE c.relname IN ('organizations', 'identifiers') AND c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
  ORDER BY 1, 2, 3`;

/** A later migration that names the projection's constraints and indexes, as drizzle-kit writes them. */
const LATER_MIGRATION = [
  'ALTER TABLE "organizations" DROP CONSTRAINT "organizations_pkey"',
  'ALTER TABLE "organizations" ADD CONSTRAINT "organizations_pkey" PRIMARY KEY ("id")',
  'ALTER TABLE "identifiers" DROP CONSTRAINT "identifiers_kind_value_pk"',
  'ALTER TABLE "identifiers" ADD CONSTRAINT "identifiers_kind_value_pk" PRIMARY KEY ("kind", "value")',
  'DROP INDEX "organizations_provider"',
  'DROP INDEX "organizations_transaction_position"',
  'DROP INDEX "identifiers_organization"',
  'ALTER TABLE "identifiers" ADD CONSTRAINT "identifiers_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id")',
];

for (const backend of BACKENDS) {
  describe(`replay keeps the schema on ${backend.name}`, () => {
    let f: StoreFixture;
    let fresh: Record<string, unknown>[];
    beforeAll(async () => {
      f = await backend.open();
      fresh = await f.db.query(CATALOG);
    });
    afterAll(async () => {
      await f.close();
    });

    test("after a swap, constraints, indexes and triggers have the names and definitions of a fresh database", async () => {
      expect(fresh.length).toBeGreaterThanOrEqual(5);
      const id = unique("schema");
      await run(f.store, register(id, [{ kind: "domain", value: `${id}.example` }]));
      await run(f.store, migrate(id));
      for (let i = 0; i < 2; i++) expect(await f.store.replay({ swap: true })).toMatchObject({ swapped: true, matched: true });
      expect(await f.db.query(CATALOG)).toEqual(fresh);
      await run(f.store, rollBack(id));
      expect((await f.store.replay({ swap: false })).matched).toBe(true);
      expect(await f.store.getOrganization(id)).toMatchObject({ provider: "legacy", identifiers: [{ kind: "domain", value: `${id}.example` }] });
    });

    test("migrations, and a later migration naming its constraints and indexes, apply on a replayed database", async () => {
      await f.store.replay({ swap: true });
      expect(await applyMigrations(f.db)).toEqual([]);
      const rolledBack = new Error("rolled back on purpose");
      const applied = f.db.transaction(async (tx) => {
        for (const statement of LATER_MIGRATION) await tx.query(statement);
        throw rolledBack;
      });
      await expect(applied).rejects.toBe(rolledBack);
      expect(await f.db.query(CATALOG)).toEqual(fresh);
    });
  });
}
