import { providerCatalog, type Config } from "../shared/config.ts";
import { openEventStore } from "../db/event-store.ts";
import { migrate } from "../db/migrate.ts";
import { routeSource } from "../db/route-source.ts";
import type { Database } from "../db/sql.ts";
import { authFromEnv } from "./auth-settings.ts";
import { createCommandsApp } from "./commands/app.ts";
import { createTokenVerifier } from "./commands/auth.ts";
import type { AppendedChange } from "./commands/execute-command.ts";
import type { Log } from "./http/log.ts";
import { rollbacksInLog } from "./waves/batch-health.ts";
import { waveRunner } from "./waves/wave-runner.ts";
import type { Bus } from "./bus/bus.ts";
import { followRoutes } from "./router/follow-routes.ts";
import { createAdminApp } from "./router/admin-app.ts";
import { createRouterApp } from "./router/app.ts";
import { createForwarder } from "./router/forward.ts";
import { mergedJwks } from "./router/merged-jwks.ts";
import { routerMetrics } from "./router/metrics.ts";
import { pinCookies } from "./router/pin-cookie.ts";
import { forceRoutes } from "./router/force-route.ts";
import { RouteTable } from "./router/route-table.ts";
import { upstreamFetch } from "./runtime/upstream-fetch.ts";
import { providerRules } from "./router/provider-headers.ts";
import { providerHeaderValues } from "./settings.ts";

/** Builds the command API from the environment and an open database (migrating it first). */
export async function composeCommands(options: { config: Config; db: Database; dataDir: string; log: Log; bus: Bus; idempotencyKeyTtlHours: number }) {
  const auth = await authFromEnv(options.dataDir);
  const verifyToken = await createTokenVerifier(auth.options);
  const store = await openEventStore(options.db);
  const hints = { published: 0, failed: 0 };
  // After the commit, never before; a hint that cannot be sent costs routers one poll interval, never the command.
  const onAppended = (change: AppendedChange) => {
    options.bus.publish({ orgId: change.organizationId, position: change.position }).then(
      () => void hints.published++,
      (error) => {
        hints.failed++;
        options.log({ level: "warn", msg: "route hint not published; routers will catch up by polling", organization: change.organizationId, position: change.position, error: String(error) });
      },
    );
  };
  const app = createCommandsApp({ store, providers: providerCatalog(options.config), verifyToken, log: options.log, onAppended, hints, bus: options.bus });
  // A retry comes within minutes; keys are kept IDEMPOTENCY_KEY_TTL_HOURS, then forgotten hourly.
  const expire = () =>
    store.expireIdempotencyKeys(options.idempotencyKeyTtlHours).catch((error) => options.log({ level: "warn", msg: "idempotency keys not expired", error: String(error) }));
  void expire();
  const expiry = setInterval(expire, 3600_000);
  // Every API replica runs one; the lease lets only one of them drive waves at a time.
  const waves = waveRunner({ store, providers: providerCatalog(options.config), health: rollbacksInLog(store), clock: () => new Date(), onAppended, holder: crypto.randomUUID(), log: options.log });
  waves.start(5_000);
  return {
    app,
    store,
    adminTokenFile: auth.adminTokenFile,
    stop: () => {
      clearInterval(expiry);
      void waves.stop();
    },
  };
}

/**
 * Builds the router and its admin app. The route table is loaded before this returns, so the
 * router never answers from an empty table. The pin secret must be the same on every router.
 */
export async function composeRouter(options: { config: Config; db: Database; pinSecret: string; log: Log; bus: Bus; pollMs: number; accessLog?: boolean }) {
  await migrate(options.db); // whichever service starts first brings the schema up to date
  const routes = new RouteTable(routeSource(options.db));
  await routes.load();
  const follower = followRoutes({ routes, bus: options.bus, pollMs: options.pollMs, log: options.log });
  const fetch = await upstreamFetch(options.config.providers);
  const metrics = routerMetrics();
  const app = createRouterApp({
    config: options.config,
    routes,
    forward: createForwarder({ publicUrl: options.config.publicUrl, fetch, rules: providerRules({ providers: options.config.providers, values: providerHeaderValues(options.config), trustedProxies: options.config.trustedProxies }) }),
    pins: pinCookies(options.pinSecret, { providers: options.config.providers.map((p) => p.id) }),
    forceRoutes: forceRoutes(options.pinSecret, { providers: options.config.providers.map((p) => p.id) }),
    jwks: mergedJwks(options.config.providers, fetch),
    metrics,
    log: options.log,
    accessLog: options.accessLog ?? true,
  });
  return { app, admin: createAdminApp({ routes, metrics, follower }), routes, follower };
}
