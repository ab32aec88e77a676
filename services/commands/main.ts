import process from "node:process";
import { openDatabase } from "../../db/open.ts";
import { openBus } from "../bus/open-bus.ts";
import { composeCommands } from "../compose.ts";
import { redactingLog } from "../redact.ts";
import { serve } from "../runtime/serve.ts";
import { displayUrl, loadConfig, loadSettings, startOrExit, survivingStrayDriverErrors } from "../settings.ts";

// The command API alone (production): `npm run start:api`.
await startOrExit(async () => {
  const settings = loadSettings(process.env, "api");
  const log = redactingLog(settings.secrets);
  survivingStrayDriverErrors(log);
  const { config } = await loadConfig(settings.configPath);
  const { databaseUrl, natsUrl, dataDir: dir } = settings;
  const bus = openBus({ prefix: settings.natsPrefix, name: "ssomigrate-commands", log, pingIntervalMs: settings.natsPingIntervalMs, ...(natsUrl ? { natsUrl } : {}) });
  const db = await openDatabase({ dataDir: dir, applicationName: "ssomigrate-commands", timeoutMs: settings.databaseTimeoutMs, ...(databaseUrl ? { databaseUrl } : {}) });
  const { app, adminTokenFile, stop: stopCommands } = await composeCommands({ config, db, dataDir: dir, log, bus, idempotencyKeyTtlHours: settings.idempotencyKeyTtlHours, auth: settings.auth, horizonMaxAgeMs: settings.horizonMaxAgeMs, outcomeRetentionDays: settings.outcomeRetentionDays, guard: settings.guard, preflightPolicy: settings.preflightPolicy, console: settings.console });
  const server = await serve({ port: settings.api.port, hostname: settings.api.host, fetch: app.fetch });
  console.log(
    `ssomigrate command API on :${server.port} (address ${settings.api.host}; ${databaseUrl ? `PostgreSQL ${displayUrl(databaseUrl)}` : `PGlite in ${dir}/pglite`}, hints via ${natsUrl ? `NATS ${displayUrl(natsUrl)}` : "nothing: routers poll"})`,
  );
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
