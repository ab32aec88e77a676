import process from "node:process";
import { ConfigError } from "../../shared/errors.ts";
import { openDatabase } from "../../db/open.ts";
import { openBus } from "../bus/open-bus.ts";
import { composeRouter } from "../compose.ts";
import { jsonLog } from "../http/log.ts";
import { serve } from "../runtime/serve.ts";
import { dataDir, env, loadConfig, natsPrefix, portFrom, positiveIntFrom, startOrExit, accessLogFrom } from "../settings.ts";

// One router (production): `npm run start:router`. Routers share PostgreSQL with the command API.
await startOrExit(async () => {
  const databaseUrl = env("DATABASE_URL");
  if (!databaseUrl) throw new ConfigError("DATABASE_URL", "a standalone router reads the projection from PostgreSQL; for one process without it, use `npm start`");
  const pinSecret = env("ROUTER_PIN_SECRET");
  if (!pinSecret) throw new ConfigError("ROUTER_PIN_SECRET", "every router needs the same secret (at least 32 bytes) to sign and read flow pins");
  const { config } = await loadConfig();
  const natsUrl = env("NATS_URL");
  const pollMs = positiveIntFrom("ROUTE_POLL_MS", 1000);
  const bus = openBus({ prefix: natsPrefix(), name: "ssomigrate-router", log: jsonLog, ...(natsUrl ? { natsUrl } : {}) });
  const db = await openDatabase({ databaseUrl, dataDir: dataDir(), applicationName: "ssomigrate-router" });
  const { app, admin, routes, follower, outcomes } = await composeRouter({ config, db, pinSecret, log: jsonLog, bus, pollMs, accessLog: accessLogFrom(), outcomeFlushMs: positiveIntFrom("OUTCOME_FLUSH_MS", 5000) });
  const server = await serve({ port: portFrom("ROUTER_PORT", 8080), fetch: app.fetch });
  const adminServer = await serve({ port: portFrom("ROUTER_ADMIN_PORT", 9090), fetch: admin.fetch });
  console.log(
    `ssomigrate router on :${server.port} (admin :${adminServer.port}), ${routes.status().organizations} organizations at position ${routes.position}; ` +
      `hints via ${natsUrl ? `NATS ${natsUrl}` : "nothing"}, polling every ${pollMs} ms`,
  );

  async function stop() {
    await Promise.all([server.close(), adminServer.close()]);
    await follower.stop();
    await outcomes.stop();
    await bus.close();
    await db.close();
    process.exit(0);
  }
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
});
