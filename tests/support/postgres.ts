import postgres from "postgres";
import { openPostgres } from "../../db/postgres.ts";
import type { Database } from "../../db/sql.ts";

/** The server integration tests use; each test file gets its own throwaway database on it. */
export const TEST_PG_URL = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export type TestDatabase = { url: string; name: string; open(): Database; drop(): Promise<void> };

/** Creates `ssomig_test_<random>`; `drop()` removes it even with connections still open. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  // .ci/run sets SSOMIG_TEST_RUN and drops whatever an interrupted test of its run left behind.
  const run = (process.env.SSOMIG_TEST_RUN ?? "local").replace(/[^a-z0-9]/gi, "").toLowerCase();
  const name = `ssomig_test_${run}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } catch (error) {
    await admin.end();
    throw new Error(`integration tests need PostgreSQL at ${TEST_PG_URL} (set TEST_PG_URL): ${(error as Error).message}`);
  }
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  const opened: Database[] = [];
  return {
    url: url.toString(),
    name,
    open() {
      const db = openPostgres(url.toString(), { max: 20, applicationName: "ssomigrate-test" });
      opened.push(db);
      return db;
    },
    async drop() {
      await Promise.allSettled(opened.map((db) => db.close()));
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
