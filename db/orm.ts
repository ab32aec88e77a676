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

const prepared = new WeakMap<Sql, Map<string, unknown>>();

/**
 * A query built once per connection (or transaction) and run again with new values: drizzle
 * builds a select's text in tens of microseconds, which the command path should pay once, not on
 * every command. `make` receives the orm to build on and calls `.prepare(name)`.
 */
export function preparedOn<T>(sql: Sql, name: string, make: (orm: Orm) => T): T {
  let byName = prepared.get(sql);
  if (!byName) prepared.set(sql, (byName = new Map()));
  if (!byName.has(name)) byName.set(name, make(ormOf(sql)));
  return byName.get(name) as T;
}
