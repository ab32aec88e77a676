import { drizzle, type PgRemoteDatabase } from "drizzle-orm/pg-proxy";
import type { Sql } from "./sql.ts";

/** drizzle over one of our connections or transactions: typed queries, run by the same driver adapter. */
export type Orm = PgRemoteDatabase;

const orms = new WeakMap<Sql, Orm>();

/**
 * drizzle's query builder and result mapping on top of `Sql`, so typed reads run on whichever
 * driver (postgres.js or PGlite) and inside whichever transaction `sql` is. drizzle asks for
 * rows as arrays when it maps them to a typed select, as objects for a raw `sql` statement.
 */
export function ormOf(sql: Sql): Orm {
  let orm = orms.get(sql);
  if (!orm) {
    orm = drizzle(async (text, params, method) => ({ rows: method === "all" ? await sql.values(text, params) : await sql.query(text, params) }));
    orms.set(sql, orm);
  }
  return orm;
}
