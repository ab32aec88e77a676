import { Hono } from "hono";
import type { RouteTable } from "./route-table.ts";
import type { RouterMetrics } from "./metrics.ts";

/** Health, status and metrics on their own port: nothing here can shadow a provider's path. */
export function createAdminApp(deps: { routes: RouteTable; metrics: RouterMetrics }): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => (deps.routes.loaded ? c.json({ status: "ready" }) : c.json({ status: "loading routes" }, 503)));
  app.get("/status", (c) => c.json(deps.routes.status()));
  app.get("/metrics", (c) => {
    const s = deps.routes.status();
    const gauges = [
      "# HELP ssomig_route_table_position Log position the route table reflects.",
      "# TYPE ssomig_route_table_position gauge",
      `ssomig_route_table_position ${s.position}`,
      "# TYPE ssomig_route_table_organizations gauge",
      `ssomig_route_table_organizations ${s.organizations}`,
      "",
    ].join("\n");
    return c.text(deps.metrics.render(gauges), 200, { "content-type": "text/plain; version=0.0.4" });
  });
  app.notFound((c) => c.json({ error: "not found" }, 404));
  return app;
}
