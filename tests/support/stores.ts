import { DEFAULT_PROJECTIONS, openEventStore, type EventStore } from "../../db/event-store.ts";
import { openPglite } from "../../db/pglite.ts";
import type { Database } from "../../db/sql.ts";
import { createTestDatabase } from "./postgres.ts";
import { createTallyTable, tallyProjection } from "./tally-projection.ts";

/**
 * A fresh, migrated event store on one backend, and how to get rid of it. Beside the product's
 * projections it carries the tests' second stream type (`tally-...`, see tally-projection.ts).
 */
export type StoreFixture = { store: EventStore; db: Database; close(): Promise<void> };
export type Backend = { name: "postgres" | "pglite"; open(): Promise<StoreFixture> };

export const BACKENDS: Backend[] = [
  {
    name: "postgres",
    async open() {
      const testDb = await createTestDatabase();
      const db = testDb.open();
      const store = await openEventStore(db, { projections: [...DEFAULT_PROJECTIONS, tallyProjection] });
      await createTallyTable(db);
      return { store, db, close: () => testDb.drop() };
    },
  },
  {
    name: "pglite",
    async open() {
      const db = await openPglite();
      const store = await openEventStore(db, { projections: [...DEFAULT_PROJECTIONS, tallyProjection] });
      await createTallyTable(db);
      return { store, db, close: () => db.close() };
    },
  },
];

/** A fresh database on each backend, with nothing opened on it yet (for tests of migrations and of the store's opening). */
export type DatabaseBackend = { name: string; open(): Promise<{ db: Database; close(): Promise<void> }> };
export const DATABASES: DatabaseBackend[] = [
  {
    name: "PostgreSQL",
    async open() {
      const testDb = await createTestDatabase();
      return { db: testDb.open(), close: () => testDb.drop() };
    },
  },
  {
    name: "PGlite",
    async open() {
      const db = await openPglite();
      return { db, close: () => db.close() };
    },
  },
];
