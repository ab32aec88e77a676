import { Hono } from "hono";
import type { RouteTable } from "./route-table.ts";
import type { RouterMetrics } from "./metrics.ts";
import type { RouteFollower } from "./follow-routes.ts";
import type { CredentialStats } from "./credential-routing.ts";

/** Health, status and metrics on their own port: nothing here can shadow a provider's path. */
export function createAdminApp(deps: { routes: RouteTable; metrics: RouterMetrics; follower?: RouteFollower; credentials?: () => CredentialStats }): Hono {
  const app = new Hono();
  // Live unless the follow loop itself is stuck (a poll running far past every query timeout): only a restart helps then.
  app.get("/healthz", (c) => (deps.follower?.wedged() ? c.json({ status: "stuck", detail: "a route poll has not finished; restart this router" }, 503) : c.json({ status: "ok" })));
  // Ready once loaded, and still ready (200) while degraded: every router shares the store, so taking them out of
  // rotation would turn a stale table into an outage. The body says "degraded" and why; /status and /metrics say how stale.
  app.get("/readyz", (c) => {
    if (!deps.routes.loaded) return c.json({ status: "loading routes" }, 503);
    const follow = deps.follower?.status();
    return follow?.degraded ? c.json({ status: "degraded", reasons: follow.degradedReasons, tableAgeSeconds: follow.tableAgeSeconds }) : c.json({ status: "ready" });
  });
  app.get("/status", (c) => c.json({ ...deps.routes.status(), ...deps.follower?.status(), ...(deps.credentials ? { credentials: credentialStatus(deps.credentials()) } : {}) }));
  app.get("/metrics", (c) => {
    const s = deps.routes.status();
    const f = deps.follower?.status();
    const gauges = [
      "# HELP ssomig_route_table_position Log position the route table reflects.",
      "# TYPE ssomig_route_table_position gauge",
      `ssomig_route_table_position ${s.position}`,
      "# TYPE ssomig_route_table_organizations gauge",
      `ssomig_route_table_organizations ${s.organizations}`,
      "# TYPE ssomig_route_table_behind gauge",
      `ssomig_route_table_behind ${f?.behind ?? 0}`,
      "# HELP ssomig_route_table_age_seconds Seconds since the route table was last confirmed current by a read of the store.",
      "# TYPE ssomig_route_table_age_seconds gauge",
      `ssomig_route_table_age_seconds ${f?.tableAgeSeconds ?? 0}`,
      "# HELP ssomig_router_degraded 1 while the router routes from a table it cannot confirm current (see /status degradedReasons).",
      "# TYPE ssomig_router_degraded gauge",
      `ssomig_router_degraded ${f?.degraded ? 1 : 0}`,
      "# HELP ssomig_route_refresh_failures_total Route refreshes (poll or hint) that failed or timed out.",
      "# TYPE ssomig_route_refresh_failures_total counter",
      `ssomig_route_refresh_failures_total ${f?.refreshFailures ?? 0}`,
      "# HELP ssomig_horizon_age_seconds Seconds the oldest committed write has waited behind the transaction horizon.",
      "# TYPE ssomig_horizon_age_seconds gauge",
      `ssomig_horizon_age_seconds ${f?.horizonAgeSeconds ?? 0}`,
      "# HELP ssomig_bus_connected 1 while the hint bus is connected.",
      "# TYPE ssomig_bus_connected gauge",
      `ssomig_bus_connected ${f?.busConnected ? 1 : 0}`,
      ...(deps.credentials ? credentialGauges(deps.credentials()) : []),
      "",
    ].join("\n");
    return c.text(deps.metrics.render(gauges), 200, { "content-type": "text/plain; version=0.0.4" });
  });
  app.notFound((c) => c.json({ error: "not found" }, 404));
  return app;
}

/** Unreachable record: unknown credentials follow the policy; operators see it here, not in a failed login. */
function credentialStatus(stats: CredentialStats) {
  return { ...stats, mode: stats.available ? "learned routes" : "record unreachable: unknown-credential policy for everything not learned here" };
}

function credentialGauges(stats: CredentialStats): string[] {
  return [
    "# HELP ssomig_credential_record_up 1 when the shared credential record (NATS KV or in-process) is reachable.",
    "# TYPE ssomig_credential_record_up gauge",
    `ssomig_credential_record_up{record="${stats.record}"} ${stats.available ? 1 : 0}`,
    "# HELP ssomig_credential_lookups_total Credential lookups on the request path, by outcome (failed: unreachable or timed out).",
    "# TYPE ssomig_credential_lookups_total counter",
    ...Object.entries(stats.lookups).map(([outcome, n]) => `ssomig_credential_lookups_total{outcome="${outcome}"} ${n}`),
    "# HELP ssomig_credentials_learned_total Codes and tokens learned from providers' answers.",
    "# TYPE ssomig_credentials_learned_total counter",
    ...Object.entries(stats.learned).map(([kind, n]) => `ssomig_credentials_learned_total{kind="${kind}"} ${n}`),
    "# HELP ssomig_credentials_not_shared_total Learned credentials that could not be written to the shared record.",
    "# TYPE ssomig_credentials_not_shared_total counter",
    `ssomig_credentials_not_shared_total ${stats.notShared}`,
  ];
}
