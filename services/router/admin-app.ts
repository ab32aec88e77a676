import { Hono } from "hono";
import type { RouteTable } from "./route-table.ts";
import type { RouterMetrics } from "./metrics.ts";
import type { RouteFollower } from "./follow-routes.ts";
import type { CredentialStats } from "./credential-routing.ts";

/** Health, status and metrics on their own port: nothing here can shadow a provider's path. */
export function createAdminApp(deps: { routes: RouteTable; metrics: RouterMetrics; follower?: RouteFollower; credentials?: () => CredentialStats }): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  // Ready once loaded, and still ready with the store down: the table in memory routes correctly as of its position.
  app.get("/readyz", (c) => (deps.routes.loaded ? c.json({ status: "ready" }) : c.json({ status: "loading routes" }, 503)));
  app.get("/status", (c) => c.json({ ...deps.routes.status(), ...deps.follower?.status(), ...(deps.credentials ? { credentials: credentialStatus(deps.credentials()) } : {}) }));
  app.get("/metrics", (c) => {
    const s = deps.routes.status();
    const gauges = [
      "# HELP ssomig_route_table_position Log position the route table reflects.",
      "# TYPE ssomig_route_table_position gauge",
      `ssomig_route_table_position ${s.position}`,
      "# TYPE ssomig_route_table_organizations gauge",
      `ssomig_route_table_organizations ${s.organizations}`,
      "# TYPE ssomig_route_table_behind gauge",
      `ssomig_route_table_behind ${deps.follower?.status().behind ?? 0}`,
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
