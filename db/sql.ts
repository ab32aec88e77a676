/**
 * The little SQL surface the event store needs, so the same store code runs on a real
 * PostgreSQL server (postgres.js) and on PGlite (embedded default). Each driver gets one
 * short adapter file; the contract tests run the store on both.
 */
export type Row = Record<string, unknown>;

export interface Sql {
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** The same, each row as an array of its columns' values in select order (how drizzle maps typed rows). */
  values(text: string, params?: readonly unknown[]): Promise<unknown[][]>;
  /** Runs `fn` in one transaction: commit when it resolves, roll back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
}

export interface Database extends Sql {
  readonly kind: "postgres" | "pglite";
  close(): Promise<void>;
}

/**
 * The SQLSTATE of a driver error, whichever driver raised it, also when drizzle wrapped it
 * (a DrizzleQueryError carries the driver's error as its `cause`).
 */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  if ("code" in error && typeof error.code === "string") return error.code;
  return "cause" in error && error.cause !== error ? sqlState(error.cause) : undefined;
}

/** Errors that mean "the database is not there right now", as opposed to "the query is wrong". */
export function isConnectionError(error: unknown): boolean {
  const state = sqlState(error);
  if (state === undefined) return false;
  return (
    state.startsWith("08") || // connection exception
    state === "57P01" || state === "57P02" || state === "57P03" || // admin shutdown, crash shutdown, cannot connect now
    state === "ECONNREFUSED" || state === "ECONNRESET" || state === "ETIMEDOUT" || state === "CONNECTION_CLOSED" ||
    state === "CONNECTION_ENDED" || state === "CONNECTION_DESTROYED" || state === "CONNECT_TIMEOUT"
  );
}
