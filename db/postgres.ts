import postgres from "postgres";
import { StoreTimeout, type Database, type Row, type Sql } from "./sql.ts";

export type PostgresOptions = {
  max?: number;
  applicationName?: string;
  /**
   * The server's statement and idle-in-transaction timeouts, and the client's own bound: a query
   * (or a transaction that stops making progress) still unanswered `timeoutMs + CLIENT_GRACE_MS`
   * after it started fails with `store_unavailable`, even when the server never says a word.
   */
  timeoutMs?: number;
};

export const DEFAULT_TIMEOUT_MS = 10_000;
/** The server's own statement_timeout normally answers first and keeps the connection; this margin lets it. */
const CLIENT_GRACE_MS = 1000;
/** The client-side bound for a given server timeout: how long one read may take at most. */
export const clientTimeoutMs = (timeoutMs: number = DEFAULT_TIMEOUT_MS): number => timeoutMs + CLIENT_GRACE_MS;
/** Probes sent on an idle connection, so a peer that vanished is noticed even between queries. */
const KEEP_ALIVE_SECONDS = 10;

/**
 * A pooled connection to a PostgreSQL server.
 *
 * A server that accepts TCP and then says nothing (a blackholed network, a frozen host) never
 * trips statement_timeout, and keepalive probes are answered by whatever middlebox holds the
 * socket. So every query also runs under a client-side timer. When it fires, the caller gets
 * `store_unavailable` at once and the whole pool is replaced: the stuck sockets are destroyed
 * (their queries fail too: by then the server has let its own timeout pass, so they are stuck
 * as well) and the next query opens fresh connections, which work again as soon as the server
 * answers.
 */
export function openPostgres(url: string, options: PostgresOptions = {}): Database {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const limitMs = clientTimeoutMs(timeoutMs);
  const connect = () =>
    postgres(url, {
      max: options.max ?? 10,
      idle_timeout: 30,
      connect_timeout: Math.min(5, Math.max(1, timeoutMs / 1000)),
      keep_alive: KEEP_ALIVE_SECONDS,
      onnotice: () => {},
      // Positions are bigint in SQL and plain numbers in the code (2^53 events is far away).
      types: { int8: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) } },
      connection: {
        application_name: options.applicationName ?? "ssomigrate",
        statement_timeout: timeoutMs,
        idle_in_transaction_session_timeout: timeoutMs,
      },
    });
  let client = connect();
  let generation = 0;
  let closed = false;

  /** Drops every connection of the pool that was current when `seen` started; later timeouts of the same pool do nothing. */
  const replacePool = (seen: number) => {
    if (seen !== generation || closed) return;
    const stuck = client;
    generation++;
    client = connect();
    void stuck.end({ timeout: 0 }).catch(() => {});
  };

  /**
   * Settles like `work`, or rejects with StoreTimeout when it makes no progress for `limitMs`.
   * `touch` restarts the clock (a transaction's statements each count as progress).
   */
  const bounded = <T>(what: string, work: (touch: () => void) => Promise<T>): Promise<T> => {
    const seen = generation;
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout>;
      const expire = () => {
        replacePool(seen);
        reject(new StoreTimeout(`the database did not answer ${what} within ${limitMs} ms`));
      };
      const touch = () => {
        clearTimeout(timer);
        timer = setTimeout(expire, limitMs);
      };
      touch();
      work(touch).then(
        (value) => (clearTimeout(timer), resolve(value)),
        (error) => (clearTimeout(timer), reject(error)),
      );
    });
  };

  const wrap = (run: () => postgres.Sql | postgres.TransactionSql, touch: () => void = () => {}): Sql => ({
    query: <T extends Row>(text: string, params: readonly unknown[] = []) => {
      touch();
      return bounded("a query", async () => {
        try {
          return (await run().unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })) as unknown as T[];
        } finally {
          touch();
        }
      });
    },
    values: (text: string, params: readonly unknown[] = []) => {
      touch();
      return bounded("a query", async () => {
        try {
          return (await run().unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }).values()) as unknown[][];
        } finally {
          touch();
        }
      });
    },
    transaction: <T>(fn: (tx: Sql) => Promise<T>) => {
      const current = run();
      if ("savepoint" in current) return current.savepoint((tx) => fn(wrap(() => tx, touch))) as Promise<T>;
      return bounded("a transaction", (progress) => client.begin((tx) => fn(wrap(() => tx, progress))) as Promise<T>);
    },
  });
  return {
    kind: "postgres",
    ...wrap(() => client),
    close: () => {
      closed = true;
      return client.end({ timeout: 5 });
    },
  };
}
