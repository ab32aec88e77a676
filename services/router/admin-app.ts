import { Hono } from "hono";
import type { RouteTable } from "./route-table.ts";
import type { RouterMetrics } from "./metrics.ts";
import type { RouteFollower } from "./follow-routes.ts";

/** Health, status and metrics on their own port: nothing here can shadow a provider's path. */
export function createAdminApp(deps: { routes: RouteTable; metrics: RouterMetrics; follower?: RouteFollower }): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  // Ready once loaded, and still ready with the store down: the table in memory routes correctly as of its position.
  app.get("/readyz", (c) => (deps.routes.loaded ? c.json({ status: "ready" }) : c.json({ status: "loading routes" }, 503)));
  app.get("/status", (c) => c.json({ ...deps.routes.status(), ...deps.follower?.status() }));
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
      "",
    ].join("\n");
    return c.text(deps.metrics.render(gauges), 200, { "content-type": "text/plain; version=0.0.4" });
  });
  app.notFound((c) => c.json({ error: "not found" }, 404));
  return app;
}
