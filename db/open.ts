import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { openPglite } from "./pglite.ts";
import { openPostgres, type PostgresOptions } from "./postgres.ts";
import type { Database } from "./sql.ts";

/**
 * PostgreSQL when a URL is given, else PGlite on disk under `dataDir` (the embedded default).
 * `timeoutMs` bounds every PostgreSQL query (PGlite runs in-process and has no network to lose).
 */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string; applicationName?: string; timeoutMs?: number }): Promise<Database> {
  if (options.databaseUrl) {
    const pg: PostgresOptions = {};
    if (options.applicationName) pg.applicationName = options.applicationName;
    if (options.timeoutMs) pg.timeoutMs = options.timeoutMs;
    return openPostgres(options.databaseUrl, pg);
  }
  const dir = join(options.dataDir, "pglite");
  await mkdir(dir, { recursive: true });
  return openPglite(dir);
}
