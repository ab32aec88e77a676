import { join } from "node:path";
import { openEventStore, type EventStore } from "./event-store.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";

/** PostgreSQL when a URL is given, else PGlite on disk under `dataDir` (the embedded default). */
export async function openStore(options: { databaseUrl?: string; dataDir: string; applicationName?: string }): Promise<EventStore> {
  const db = options.databaseUrl
    ? openPostgres(options.databaseUrl, options.applicationName ? { applicationName: options.applicationName } : {})
    : await openPglite(join(options.dataDir, "pglite"));
  try {
    return await openEventStore(db);
  } catch (error) {
    await db.close();
    throw error;
  }
}
