import process from "node:process";
import { guardFrom, preflightPolicyFrom } from "./safety-settings.ts";
import { openDatabase } from "../../db/open.ts";
import { openBus } from "../bus/open-bus.ts";
import { composeCommands } from "../compose.ts";
import { jsonLog } from "../http/log.ts";
import { serve } from "../runtime/serve.ts";
import { dataDir, env, loadConfig, natsPrefix, portFrom, positiveIntFrom, startOrExit } from "../settings.ts";

// The command API alone (production): `npm run start:api`.
await startOrExit(async () => {
  const { config } = await loadConfig();
  const dir = dataDir();
  const databaseUrl = env("DATABASE_URL");
  const natsUrl = env("NATS_URL");
  const bus = openBus({ prefix: natsPrefix(), name: "ssomigrate-commands", log: jsonLog, ...(natsUrl ? { natsUrl } : {}) });
  const db = await openDatabase({ dataDir: dir, applicationName: "ssomigrate-commands", ...(databaseUrl ? { databaseUrl } : {}) });
  const { app, adminTokenFile, stop: stopCommands } = await composeCommands({ config, db, dataDir: dir, log: jsonLog, bus, idempotencyKeyTtlHours: positiveIntFrom("IDEMPOTENCY_KEY_TTL_HOURS", 168), outcomeRetentionDays: positiveIntFrom("OUTCOME_RETENTION_DAYS", 30), guard: guardFrom(), preflightPolicy: preflightPolicyFrom() });
  const server = await serve({ port: portFrom("API_PORT", 8081), fetch: app.fetch });
  console.log(`ssomigrate command API on :${server.port} (${databaseUrl ? "PostgreSQL" : `PGlite in ${dir}/pglite`}, hints via ${natsUrl ? `NATS ${natsUrl}` : "nothing: routers poll"})`);
  if (adminTokenFile) console.log(`development admin token in ${adminTokenFile}`);

  async function stop() {
    await server.close();
    stopCommands();
    await bus.close();
    await db.close();
    process.exit(0);
  }
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
});
