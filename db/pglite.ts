import { PGlite, types } from "@electric-sql/pglite";
import type { Database, Row, Sql } from "./sql.ts";

type Queryable = Pick<PGlite, "query">;

/**
 * PostgreSQL in WebAssembly, on disk under `dataDir` (in memory when it is undefined).
 * One connection: PGlite runs one transaction at a time, which is all the embedded default needs.
 * int8 is parsed as a JavaScript number, as postgres.js callers get after `Number(...)`.
 */
export async function openPglite(dataDir?: string): Promise<Database> {
  const db = await PGlite.create(dataDir, { parsers: { [types.INT8]: (v: string) => Number(v) } });
  const wrap = (run: Queryable, inTransaction: boolean): Sql => ({
    query: async <T extends Row>(text: string, params: readonly unknown[] = []) =>
      (await run.query<T>(text, params as unknown[])).rows,
    values: async (text: string, params: readonly unknown[] = []) =>
      (await run.query<unknown[]>(text, params as unknown[], { rowMode: "array" })).rows,
    transaction: <T>(fn: (tx: Sql) => Promise<T>) => {
      if (inTransaction) throw new Error("nested transactions are not used with PGlite");
      return db.transaction((tx) => fn(wrap(tx, true)));
    },
  });
  return { kind: "pglite", ...wrap(db, false), close: () => db.close() };
}
