/**
 * The little SQL surface the event store needs, so the same store code runs on a real
 * PostgreSQL server (postgres.js) and on PGlite (embedded default). Each driver gets one
 * short adapter file; the contract tests run the store on both.
 */
import { CodedError } from "../shared/errors.ts";

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

/**
 * The database did not answer within the client-side bound. A write may or may not have been
 * committed, so the answer says to retry with the same Idempotency-Key, not "nothing changed".
 */
export class StoreTimeout extends CodedError {
  constructor(detail: string) {
    super("store_unavailable", `${detail}; a command may or may not have been recorded: retry it with the same Idempotency-Key`);
  }
}

/** The StoreTimeout behind `error`, also when drizzle wrapped it (a DrizzleQueryError's `cause`). */
export function storeTimeoutIn(error: unknown): StoreTimeout | undefined {
  for (let e = error, depth = 0; typeof e === "object" && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StoreTimeout) return e;
  }
  return undefined;
}

/** Errors that mean "the database is not there (or not answering in time) right now", as opposed to "the query is wrong". */
export function isConnectionError(error: unknown): boolean {
  if (storeTimeoutIn(error)) return true;
  const state = sqlState(error);
  if (state === undefined) return false;
  return (
    state.startsWith("08") || // connection exception
    state === "57014" || state === "25P03" || // statement or idle-in-transaction timeout: the store is too slow right now
    state === "57P01" || state === "57P02" || state === "57P03" || // admin shutdown, crash shutdown, cannot connect now
    state === "ECONNREFUSED" || state === "ECONNRESET" || state === "ETIMEDOUT" || state === "CONNECTION_CLOSED" ||
    state === "CONNECTION_ENDED" || state === "CONNECTION_DESTROYED" || state === "CONNECT_TIMEOUT"
  );
}
