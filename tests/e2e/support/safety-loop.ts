import { providerCatalog, type Config } from "../../../shared/config.ts";
import { DEFAULT_GUARD_POLICY } from "../../../shared/guard-policy.ts";
import type { EventStore } from "../../../db/event-store.ts";
import { outcomeStore } from "../../../db/outcome-store.ts";
import { routeSource } from "../../../db/route-source.ts";
import type { Database } from "../../../db/sql.ts";
import { inProcessBus } from "../../../services/bus/in-process-bus.ts";
import { startGuard, type Guard } from "../../../services/commands/guard.ts";
import { preflightProbe } from "../../../services/commands/preflight.ts";
import { storeOutcomes } from "../../../services/commands/store-outcomes.ts";
import { silentLog } from "../../../services/http/log.ts";
import { createRouterApp } from "../../../services/router/app.ts";
import { flushOutcomes } from "../../../services/router/flush-outcomes.ts";
import { createForwarder } from "../../../services/router/forward.ts";
import { mergedJwks } from "../../../services/router/merged-jwks.ts";
import { routerMetrics } from "../../../services/router/metrics.ts";
import { outcomeObserver } from "../../../services/router/observe-outcome.ts";
import { outcomeRecorder } from "../../../services/router/outcome-recorder.ts";
import { pinCookies } from "../../../services/router/pin-cookie.ts";
import { RouteTable } from "../../../services/router/route-table.ts";
import { serve } from "../../../services/runtime/serve.ts";

export type SafetyLoop = { routes: RouteTable; preflight: ReturnType<typeof preflightProbe>; guard: Guard; stop(): Promise<void> };

/**
 * The safety loop in this process, as the services run it, only faster: a router on `port` with
 * its outcome bookkeeping, flushing every 100 ms over an in-process bus into the command
 * service's outcome table, the guard looking every 200 ms (acting on 3 failed logins), and
 * preflight through the router's own forwarder. `fetch` is the router's way out to the providers
 * (a test records what each provider receives there).
 */
export async function startSafetyLoop(options: { db: Database; store: EventStore; config: Config; port: number; name: string; fetch?: (input: string, init: RequestInit) => Promise<Response> }): Promise<SafetyLoop> {
  const { db, store, config } = options;
  const routes = new RouteTable(routeSource(db));
  await routes.load();
  const bus = inProcessBus();
  const outcomes = outcomeStore(db);
  const stopStoring = storeOutcomes({ bus, outcomes, log: silentLog, retentionDays: 30 });
  const recorder = outcomeRecorder();
  const metrics = routerMetrics();
  const forward = createForwarder({ publicUrl: config.publicUrl, fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)) });
  const app = createRouterApp({
    config,
    routes,
    forward,
    pins: pinCookies(`e2e-pin-${crypto.randomUUID()}-secret`, { providers: config.providers.map((p) => p.id) }),
    jwks: mergedJwks(config.providers, (input, init) => globalThis.fetch(input, init)),
    metrics,
    log: () => {},
    outcomes: outcomeObserver({ recorder, metrics, publicOrigin: config.publicUrl }),
  });
  const server = await serve({ port: options.port, hostname: "127.0.0.1", fetch: (request, env) => app.fetch(request, env) });
  const flusher = flushOutcomes({ router: options.name, recorder, bus, intervalMs: 100, log: silentLog });
  const guard = startGuard({ db, store, outcomes, providers: providerCatalog(config), policy: { ...DEFAULT_GUARD_POLICY, minFailures: 3 }, intervalMs: 200, log: silentLog });
  return {
    routes,
    guard,
    preflight: preflightProbe({ providers: config.providers, forward, publicUrl: config.publicUrl }),
    async stop() {
      await guard.stop();
      await flusher.stop();
      stopStoring();
      await server.close();
    },
  };
}
