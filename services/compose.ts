import { providerCatalog, type Config } from "../shared/config.ts";
import { openEventStore } from "../db/event-store.ts";
import { migrate } from "../db/migrate.ts";
import { readHorizon } from "../db/horizon.ts";
import { normalizeIdentifierSpellings } from "../db/identifier-spellings.ts";
import { routeSource } from "../db/route-source.ts";
import type { Database } from "../db/sql.ts";
import { authFromSettings } from "./auth-settings.ts";
import type { AuthSettings } from "./settings.ts";
import { createCommandsApp } from "./commands/app.ts";
import { createTokenVerifier } from "./commands/auth.ts";
import type { AppendedChange } from "./commands/execute-command.ts";
import type { Log } from "./http/log.ts";
import { batchHealth } from "./waves/batch-health.ts";
import { waveRunner } from "./waves/wave-runner.ts";
import type { Bus } from "./bus/bus.ts";
import { followRoutes } from "./router/follow-routes.ts";
import { createAdminApp } from "./router/admin-app.ts";
import { createRouterApp } from "./router/app.ts";
import { createForwarder, type Fetch } from "./router/forward.ts";
import { mergedJwks } from "./router/merged-jwks.ts";
import { routerMetrics } from "./router/metrics.ts";
import { pinCookies } from "./router/pin-cookie.ts";
import { forceRoutes } from "./router/force-route.ts";
import { RouteTable } from "./router/route-table.ts";
import { upstreamFetch } from "./runtime/upstream-fetch.ts";
import { providerRules } from "./router/provider-headers.ts";
import { providerHeaderValues } from "./settings.ts";
import type { CredentialRecord } from "./bus/credential-record.ts";
import type { CredentialRouting } from "./router/credential-routing.ts";

import { outcomeStore } from "../db/outcome-store.ts";
import { unmatchedStore } from "../db/unmatched-store.ts";
import { unmatchedRecord } from "./router/unmatched-record.ts";
import { unmatchedObserver } from "./router/observe-unmatched.ts";
import { storeOutcomes } from "./commands/store-outcomes.ts";
import { startGuard } from "./commands/guard.ts";
import type { ConsoleOidcSettings, GuardSettings, PreflightPolicy } from "./settings.ts";
import { preflightProbe } from "./commands/preflight.ts";
import { outcomeRecorder } from "./router/outcome-recorder.ts";
import { outcomeObserver } from "./router/observe-outcome.ts";
import { flushOutcomes } from "./router/flush-outcomes.ts";
import { oidcSignInRoutes } from "./console/oidc-sign-in.ts";
import { createConsole, signedInLanding } from "./console/app.tsx";
import { consoleSessions } from "./console/session.ts";
import { signInLinks } from "./console/sign-in-links.ts";


/** Who signs in with the embedded default's one-time link: the actor of what they do in the console. */
export const CONSOLE_ADMIN = "console-admin@embedded";

/** Builds the command API from the environment and an open database (migrating it first). */
export async function composeCommands(options: {
  config: Config;
  db: Database;
  dataDir: string;
  log: Log;
  bus: Bus;
  idempotencyKeyTtlHours: number;
  auth: AuthSettings;
  horizonMaxAgeMs?: number;
  outcomeRetentionDays?: number;
  guard?: GuardSettings;
  preflightPolicy?: PreflightPolicy;
  /**
   * The web console: its session key, whether this process prints one-time sign-in links (the
   * embedded default), and the production sign-in with the company's IdP (CONSOLE_OIDC_*), whose
   * routes call the console's `signedIn` (which starts the session).
   */
  console?: { sessionSecret?: string; signInLinks?: boolean; oidc?: ConsoleOidcSettings | null };
}) {
  const auth = await authFromSettings(options.auth, options.dataDir);
  const verifyToken = await createTokenVerifier(auth.options);
  const store = await openEventStore(options.db);
  await reportSpellings(options.db, options.log);
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
  const outcomes = outcomeStore(options.db);
  const unmatched = unmatchedStore(options.db);
  const stopOutcomes = storeOutcomes({ bus: options.bus, outcomes, unmatched, log: options.log, retentionDays: options.outcomeRetentionDays ?? 30 });
  // Preflight probes go through the router's own forwarding path (same headers, Host, TLS rules).
  const forward = providerForwarder(options.config, await upstreamFetch(options.config.providers), { log: options.log });
  const preflight = preflightProbe({ providers: options.config.providers, forward, publicUrl: options.config.publicUrl, ...(options.preflightPolicy ? { budgetMs: options.preflightPolicy.budgetMs } : {}) });
  const providers = providerCatalog(options.config);
  const links = options.console?.signInLinks ? signInLinks() : undefined;
  const sessions = await consoleSessions(options.console?.sessionSecret ? { secret: options.console.sessionSecret } : {});
  const app = createCommandsApp({
    store,
    providers,
    verifyToken,
    log: options.log,
    onAppended,
    hints,
    bus: options.bus,
    horizon: () => readHorizon(options.db),
    ...(options.horizonMaxAgeMs ? { horizonMaxAgeMs: options.horizonMaxAgeMs } : {}),
    outcomes,
    unmatched,
    preflight,
    ...(options.preflightPolicy ? { preflightPolicy: options.preflightPolicy } : {}),
    console: createConsole({
      store,
      providers,
      sessions,
      outcomes,
      unmatched,
      ...(links ? { links } : {}),
      ...(options.console?.oidc
        ? { oidc: { routes: oidcSignInRoutes({ ...options.console.oidc, log: options.log, signedIn: signedInLanding(sessions) }), label: new URL(options.console.oidc.issuer).host } }
        : {}),
    }),
  });
  // A retry comes within minutes; keys are kept IDEMPOTENCY_KEY_TTL_HOURS, then forgotten hourly.
  const expire = () =>
    store.expireIdempotencyKeys(options.idempotencyKeyTtlHours).catch((error) => options.log({ level: "warn", msg: "idempotency keys not expired", error: String(error) }));
  void expire();
  const expiry = setInterval(expire, 3600_000);
  // The guard rolls back as actor `guard` through the same command path, hint included.
  const guard = options.guard ? startGuard({ db: options.db, store, outcomes, providers, policy: options.guard.policy, intervalMs: options.guard.intervalMs, log: options.log, onAppended }) : null;
  // Every API replica runs one; the lease lets only one of them drive waves at a time.
  const waves = waveRunner({ store, providers, health: batchHealth(store, outcomes), clock: () => new Date(), onAppended, holder: crypto.randomUUID(), log: options.log });
  waves.start(5_000);
  return {
    app,
    store,
    guard,
    adminTokenFile: auth.adminTokenFile,
    /** A one-time console sign-in path (the embedded default prints it at start), as the embedded admin. */
    consoleSignInPath: links
      ? async () => `/console/sign-in?link=${await links.issue({ subject: CONSOLE_ADMIN, scopes: new Set(["migrations:read", "migrations:write", "admin"]) })}`
      : undefined,
    stop: () => {
      clearInterval(expiry);
      stopOutcomes();
      void guard?.stop();
      void waves.stop();
    },
  };
}

/**
 * Builds the router and its admin app. The route table is loaded before this returns, so the
 * router never answers from an empty table. The pin secret must be the same on every router.
 */
export async function composeRouter(options: {
  config: Config;
  db: Database;
  pinSecret: string;
  log: Log;
  bus: Bus;
  pollMs: number;
  accessLog?: boolean;
  /** The database client's bound on one read (DATABASE_TIMEOUT_MS + its grace). */
  timeoutMs?: number;
  horizonMaxAgeMs?: number;
  credentials?: CredentialRecord;
  timeouts?: { bodyTimeoutMs: number; upstreamIdleMs: number };
  outcomeFlushMs?: number;
}) {
  await migrate(options.db); // whichever service starts first brings the schema up to date
  const routes = new RouteTable(routeSource(options.db));
  await routes.load();
  const follower = followRoutes({
    routes,
    bus: options.bus,
    pollMs: options.pollMs,
    log: options.log,
    horizon: () => readHorizon(options.db),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.horizonMaxAgeMs ? { horizonMaxAgeMs: options.horizonMaxAgeMs } : {}),
  });
  const fetch = await upstreamFetch(options.config.providers);
  const metrics = routerMetrics();
  let credentialRouting: CredentialRouting | null = null;
  const recorder = outcomeRecorder();
  const unmatched = unmatchedRecord();
  const outcomes = flushOutcomes({ router: crypto.randomUUID(), recorder, unmatched, bus: options.bus, intervalMs: options.outcomeFlushMs ?? 5000, log: options.log });
  const app = createRouterApp({
    config: options.config,
    routes,
    forward: providerForwarder(options.config, fetch, { log: options.log, ...(options.timeouts ? { upstreamIdleMs: options.timeouts.upstreamIdleMs } : {}) }),
    pins: pinCookies(options.pinSecret, { providers: options.config.providers.map((p) => p.id) }),
    forceRoutes: forceRoutes(options.pinSecret, { providers: options.config.providers.map((p) => p.id) }),
    jwks: mergedJwks(options.config.providers, fetch),
    metrics,
    log: options.log,
    accessLog: options.accessLog ?? true,
    unmatched: unmatchedObserver(unmatched),
    outcomes: outcomeObserver({ recorder, metrics, publicOrigin: new URL(options.config.publicUrl).origin }),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    onCredentialRouting: (routing) => (credentialRouting = routing),
    ...(options.timeouts ? { bodyTimeoutMs: options.timeouts.bodyTimeoutMs } : {}),
  });
  const credentials = () => credentialRouting!.stats();
  return { app, admin: createAdminApp({ routes, metrics, follower, credentials }), routes, follower, outcomes };
}

/**
 * Identifiers written before normalization are brought to their normal form at start; two
 * organizations holding one identity in different spellings are reported on every start until
 * an operator unlinks one (the router sends that identity to only one of them meanwhile).
 */
async function reportSpellings(db: Database, log: Log): Promise<void> {
  const { rewritten, collisions } = await normalizeIdentifierSpellings(db);
  if (rewritten > 0) log({ level: "info", msg: "identifiers brought to their normal form", rewritten });
  for (const c of collisions) {
    log({
      level: "error",
      msg: "one identity belongs to several organizations in different spellings (written before normalization): unlink it from all but one",
      kind: c.kind,
      identity: c.normal,
      holders: c.holders,
    });
  }
}

/** The one way to reach providers: the router's forwarding and the command service's preflight probes share it (headers, Host, TLS rules). */
function providerForwarder(config: Config, fetch: Fetch, extra: { log: Log; upstreamIdleMs?: number }) {
  const rules = providerRules({ providers: config.providers, values: providerHeaderValues(config), trustedProxies: config.trustedProxies });
  return createForwarder({ publicUrl: config.publicUrl, fetch, rules, ...extra });
}
