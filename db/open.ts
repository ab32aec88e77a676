import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";
import type { Database } from "./sql.ts";

/** PostgreSQL when a URL is given, else PGlite on disk under `dataDir` (the embedded default). */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string; applicationName?: string }): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.applicationName ? { applicationName: options.applicationName } : {});
  const dir = join(options.dataDir, "pglite");
  await mkdir(dir, { recursive: true });
  return openPglite(dir);
}
