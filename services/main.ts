import process from "node:process";
import { guardFrom, preflightPolicyFrom } from "./commands/safety-settings.ts";
import { openDatabase } from "../db/open.ts";
import { devSecret } from "./auth-settings.ts";
import { composeCommands, composeRouter } from "./compose.ts";
import { demoUpstream } from "./demo-upstreams/app.ts";
import { jsonLog } from "./http/log.ts";
import { serve, type Server } from "./runtime/serve.ts";
import { dataDir, env, loadConfig, natsPrefix, portFrom, positiveIntFrom, startOrExit, accessLogFrom } from "./settings.ts";
import { openBus } from "./bus/open-bus.ts";

// The embedded default (`npm start`): command API, router and, without SSOMIG_CONFIG, two demo
// providers, in one process on PGlite (or DATABASE_URL when set).
await startOrExit(async () => {
  const { config, source } = await loadConfig();
  const dir = dataDir();
  const databaseUrl = env("DATABASE_URL");
  const db = await openDatabase({ dataDir: dir, applicationName: "ssomigrate", ...(databaseUrl ? { databaseUrl } : {}) });
  const pinSecret = env("ROUTER_PIN_SECRET") ?? (await devSecret(dir, "pin.secret"));
  const natsUrl = env("NATS_URL");
  const bus = openBus({ prefix: natsPrefix(), name: "ssomigrate", log: jsonLog, ...(natsUrl ? { natsUrl } : {}) });
  const router = await composeRouter({ config, db, pinSecret, log: jsonLog, bus, pollMs: positiveIntFrom("ROUTE_POLL_MS", 1000), accessLog: accessLogFrom(), outcomeFlushMs: positiveIntFrom("OUTCOME_FLUSH_MS", 5000) });
  const commands = await composeCommands({ config, db, dataDir: dir, log: jsonLog, bus, idempotencyKeyTtlHours: positiveIntFrom("IDEMPOTENCY_KEY_TTL_HOURS", 168), outcomeRetentionDays: positiveIntFrom("OUTCOME_RETENTION_DAYS", 30), guard: guardFrom(), preflightPolicy: preflightPolicyFrom() });
  const servers: Server[] = [];
  if (env("SSOMIG_CONFIG") === undefined) {
    servers.push(await serve({ port: 9001, hostname: "127.0.0.1", fetch: demoUpstream("legacy") }));
    servers.push(await serve({ port: 9002, hostname: "127.0.0.1", fetch: demoUpstream("target") }));
  }
  await router.routes.refresh();
  const api = await serve({ port: portFrom("API_PORT", 8081), fetch: commands.app.fetch });
  const proxy = await serve({ port: portFrom("ROUTER_PORT", 8080), fetch: router.app.fetch });
  const admin = await serve({ port: portFrom("ROUTER_ADMIN_PORT", 9090), fetch: router.admin.fetch });
  servers.push(api, proxy, admin);

  const tokenFile = commands.adminTokenFile ?? "<your token>";
  const demo = env("SSOMIG_CONFIG") === undefined;
  console.log(
    [
      `ssomigrate on :${proxy.port} (admin :${admin.port}, API :${api.port}); embedded: ${databaseUrl ? "PostgreSQL" : `PGlite in ${dir}/pglite`}, providers from ${source}`,
      `  router     http://localhost:${proxy.port}   (the auth domain: ${config.publicUrl})`,
      `  admin      http://localhost:${admin.port}   /healthz /readyz /status /metrics`,
      `  API        http://localhost:${api.port}   admin token: ${tokenFile}`,
      ...(demo ? ["  demo providers: legacy http://127.0.0.1:9001, target http://127.0.0.1:9002"] : []),
      "",
      "Try it:",
      `  TOKEN=$(cat ${tokenFile})`,
      `  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"id":"acme","name":"Acme","identifiers":[{"kind":"domain","value":"acme.com"}]}' http://localhost:${api.port}/v1/organizations`,
      `  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"reason":"wave 1"}' http://localhost:${api.port}/v1/organizations/acme/migrate`,
      `  curl -s 'http://localhost:${proxy.port}/authorize?login_hint=jane@acme.com&client_id=app'`,
    ].join("\n"),
  );

  let stopping = false;
  async function stop() {
    if (stopping) return;
    stopping = true;
    await Promise.all(servers.map((s) => s.close()));
    await router.follower.stop();
    await router.outcomes.stop();
    commands.stop();
    await bus.close();
    await db.close();
    process.exit(0);
  }
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
});
