import { chmod, lstat, mkdir, readdir } from "node:fs/promises";
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
  // DATA_DIR is created private, so PGlite's files are out of reach even before they are fixed below.
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  // One left by an older version may be open to others; one we do not own stays as it is (PGlite's own folder is still private).
  await chmod(options.dataDir, 0o700).catch(() => undefined);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const db = await openPglite(dir);
  await makePrivate(dir);
  return db;
}

/**
 * Directories 0700, files 0600, under `dir` and `dir` itself. PGlite unpacks a fresh cluster with
 * world-writable modes (whatever the umask); the files PostgreSQL creates afterwards are 0600, so
 * one pass after opening covers a new data directory and one left by an older version.
 */
export async function makePrivate(dir: string): Promise<void> {
  const stat = await lstat(dir);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    if ((stat.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
    for (const entry of await readdir(dir)) await makePrivate(join(dir, entry));
  } else if ((stat.mode & 0o777) !== 0o600) {
    await chmod(dir, 0o600);
  }
}
