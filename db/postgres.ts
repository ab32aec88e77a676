import postgres from "postgres";
import type { Database, Row, Sql } from "./sql.ts";

export type PostgresOptions = { max?: number; applicationName?: string };

/** A pooled connection to a PostgreSQL server. Timeouts keep one stuck transaction from stalling log readers. */
export function openPostgres(url: string, options: PostgresOptions = {}): Database {
  const client = postgres(url, {
    max: options.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 5,
    onnotice: () => {},
    // Positions are bigint in SQL and plain numbers in the code (2^53 events is far away).
    types: { int8: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) } },
    connection: {
      application_name: options.applicationName ?? "ssomigrate",
      statement_timeout: 10_000,
      idle_in_transaction_session_timeout: 10_000,
    },
  });
  const wrap = (run: postgres.Sql | postgres.TransactionSql): Sql => ({
    query: async <T extends Row>(text: string, params: readonly unknown[] = []) =>
      (await run.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })) as unknown as T[],
    values: async (text: string, params: readonly unknown[] = []) =>
      (await run.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }).values()) as unknown[][],
    transaction: <T>(fn: (tx: Sql) => Promise<T>) =>
      "savepoint" in run
        ? (run.savepoint((tx) => fn(wrap(tx))) as Promise<T>)
        : (client.begin((tx) => fn(wrap(tx))) as Promise<T>),
  });
  return { kind: "postgres", ...wrap(client), close: () => client.end({ timeout: 5 }) };
}
