import process from "node:process";
import { clientTimeoutMs } from "../../db/postgres.ts";
import { openDatabase } from "../../db/open.ts";
import { openBus } from "../bus/open-bus.ts";
import { composeRouter } from "../compose.ts";
import { redactingLog } from "../redact.ts";
import { natsCredentialRecord } from "../bus/nats-credential-record.ts";
import { ttlsOf } from "./app.ts";
import { serve } from "../runtime/serve.ts";
import { displayUrl, loadConfig, loadSettings, startOrExit, survivingStrayDriverErrors } from "../settings.ts";

// One router (production): `npm run start:router`. Routers share PostgreSQL with the command API.
await startOrExit(async () => {
  const settings = loadSettings(process.env, "router"); // requires DATABASE_URL, ROUTER_PIN_SECRET and SSOMIG_CONFIG
  const log = redactingLog(settings.secrets);
  survivingStrayDriverErrors(log);
  const { config } = await loadConfig(settings.configPath);
  const { databaseUrl, natsUrl, routePollMs: pollMs } = settings;
  const bus = openBus({ prefix: settings.natsPrefix, name: "ssomigrate-router", log, pingIntervalMs: settings.natsPingIntervalMs, ...(natsUrl ? { natsUrl } : {}) });
  const db = await openDatabase({ databaseUrl: databaseUrl!, dataDir: settings.dataDir, applicationName: "ssomigrate-router", timeoutMs: settings.databaseTimeoutMs });
  // Every router shares what it learns about credentials through NATS; without NATS, each keeps its own.
  const credentials = natsUrl
    ? natsCredentialRecord({ url: natsUrl, bucketPrefix: `${settings.natsPrefix}-credentials`, ttlMs: ttlsOf(config), onError: (error) => log({ level: "warn", msg: "credential record (NATS KV) error", error: String(error) }) })
    : undefined;
  const { app, admin, routes, follower, outcomes } = await composeRouter({
    config, db, pinSecret: settings.routerPinSecret!, log, bus, pollMs, accessLog: settings.routerAccessLog, timeouts: settings.routerTimeouts, outcomeFlushMs: settings.outcomeFlushMs,
    timeoutMs: clientTimeoutMs(settings.databaseTimeoutMs), horizonMaxAgeMs: settings.horizonMaxAgeMs, ...(credentials ? { credentials } : {}),
  });
  const server = await serve({ port: settings.router.port, hostname: settings.router.host, fetch: app.fetch, exactTarget: true });
  const adminServer = await serve({ port: settings.routerAdmin.port, hostname: settings.routerAdmin.host, fetch: admin.fetch });
  console.log(
    `ssomigrate router on :${server.port} (admin :${adminServer.port}), ${routes.status().organizations} organizations at position ${routes.position}; ` +
      `addresses ${settings.router.host} (admin ${settings.routerAdmin.host}); hints via ${natsUrl ? `NATS ${displayUrl(natsUrl)}` : "nothing"}, polling every ${pollMs} ms`,
  );

  async function stop() {
    await Promise.all([server.close(), adminServer.close()]);
    await follower.stop();
    await outcomes.stop();
    await bus.close();
    await credentials?.close();
    await db.close();
    process.exit(0);
  }
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
});
