import process from "node:process";
import { clientTimeoutMs } from "../db/postgres.ts";
import { openDatabase } from "../db/open.ts";
import { devSecret } from "./auth-settings.ts";
import { composeCommands, composeRouter } from "./compose.ts";
import { demoUpstream } from "./demo-upstreams/app.ts";
import { redactingLog } from "./redact.ts";
import { serve, type Server } from "./runtime/serve.ts";
import { loadConfig, loadSettings, startOrExit, survivingStrayDriverErrors } from "./settings.ts";
import { openBus } from "./bus/open-bus.ts";

// The embedded default (`npm start`): command API, router and, without SSOMIG_CONFIG, two demo
// providers, in one process on PGlite (or DATABASE_URL when set, and then SSOMIG_CONFIG too).
await startOrExit(async () => {
  const settings = loadSettings(process.env, "embedded");
  const log = redactingLog(settings.secrets);
  survivingStrayDriverErrors(log);
  const { config, source } = await loadConfig(settings.configPath);
  const { dataDir: dir, databaseUrl, natsUrl } = settings;
  const db = await openDatabase({ dataDir: dir, applicationName: "ssomigrate", timeoutMs: settings.databaseTimeoutMs, ...(databaseUrl ? { databaseUrl } : {}) });
  const pinSecret = settings.routerPinSecret ?? (await devSecret(dir, "pin.secret"));
  const bus = openBus({ prefix: settings.natsPrefix, name: "ssomigrate", log, pingIntervalMs: settings.natsPingIntervalMs, ...(natsUrl ? { natsUrl } : {}) });
  const router = await composeRouter({ config, db, pinSecret, log, bus, pollMs: settings.routePollMs, accessLog: settings.routerAccessLog, timeouts: settings.routerTimeouts, timeoutMs: clientTimeoutMs(settings.databaseTimeoutMs), horizonMaxAgeMs: settings.horizonMaxAgeMs, outcomeFlushMs: settings.outcomeFlushMs });
  const commands = await composeCommands({ config, db, dataDir: dir, log, bus, idempotencyKeyTtlHours: settings.idempotencyKeyTtlHours, auth: settings.auth, horizonMaxAgeMs: settings.horizonMaxAgeMs, outcomeRetentionDays: settings.outcomeRetentionDays, guard: settings.guard, preflightPolicy: settings.preflightPolicy, console: { ...settings.console, signInLinks: true } });
  const servers: Server[] = [];
  const demo = settings.configPath === undefined;
  if (demo) {
    servers.push(await serve({ port: 9001, hostname: "127.0.0.1", fetch: demoUpstream("legacy") }));
    servers.push(await serve({ port: 9002, hostname: "127.0.0.1", fetch: demoUpstream("target") }));
  }
  await router.routes.refresh();
  const api = await serve({ port: settings.api.port, hostname: settings.api.host, fetch: commands.app.fetch });
  const proxy = await serve({ port: settings.router.port, hostname: settings.router.host, fetch: router.app.fetch, exactTarget: true });
  const admin = await serve({ port: settings.routerAdmin.port, hostname: settings.routerAdmin.host, fetch: router.admin.fetch });
  servers.push(api, proxy, admin);

  const tokenFile = commands.adminTokenFile ?? "<your token>";
  // Printed here only: the token is single-use, expires, and goes in no log line.
  const signIn = await commands.consoleSignInPath!();
  console.log(
    [
      `ssomigrate on :${proxy.port} (admin :${admin.port}, API :${api.port}); embedded: ${databaseUrl ? "PostgreSQL" : `PGlite in ${dir}/pglite`}, providers from ${source}`,
      `  router     http://localhost:${proxy.port}   (the auth domain: ${config.publicUrl}; listening on ${settings.router.host})`,
      `  admin      http://localhost:${admin.port}   /healthz /readyz /status /metrics (listening on ${settings.routerAdmin.host})`,
      `  API        http://localhost:${api.port}   admin token: ${tokenFile} (listening on ${settings.api.host})`,
      ...(commands.adminTokenFile ? ["             the admin token lasts 30 days and is renewed by a start in its last week; to revoke it, delete auth.secret and restart"] : []),
      `             API reference http://localhost:${api.port}/reference (OpenAPI document: /openapi.json)`,
      `  console    http://localhost:${api.port}${signIn}   (one-time sign-in link, valid 15 minutes; restart for a new one)`,
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
