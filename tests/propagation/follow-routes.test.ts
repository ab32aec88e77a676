import { afterEach, describe, expect, test } from "bun:test";
import { inProcessBus } from "../../services/bus/in-process-bus.ts";
import { followRoutes, type RouteFollower } from "../../services/router/follow-routes.ts";
import { createAdminApp } from "../../services/router/admin-app.ts";
import { routerMetrics } from "../../services/router/metrics.ts";
import { RouteTable } from "../../services/router/route-table.ts";
import { eventually } from "../support/eventually.ts";

// The follower's own guarantees, with a fake clock and a fake store (a store that never answers
// cannot be made from a real one without the network; faults.test.ts does that end to end).

const quiet = () => {};
let follower: RouteFollower | undefined;
afterEach(() => follower?.stop());

/** A route table whose store answers nothing at all: every refresh stays pending. */
function hungTable(): { table: RouteTable; reads(): number } {
  let reads = 0;
  const table = new RouteTable({ loadAll: async () => ({ rows: [], horizon: "1", position: 0 }), changesSince: () => (reads++, new Promise(() => {})) });
  return { table, reads: () => reads };
}

describe("following routes when the store stops answering", () => {
  test("reports degraded with the table's age once a refresh is overdue, even while the read never returns", async () => {
    let clock = 1_000_000;
    const { table: routes, reads } = hungTable();
    await routes.load();
    follower = followRoutes({ routes, bus: inProcessBus(), pollMs: 5, log: quiet, timeoutMs: 1000, now: () => clock });
    await eventually(async () => reads(), (n) => n === 1); // the first poll is under way, and stays so
    expect(follower.status()).toMatchObject({ degraded: false, degradedReasons: [] });

    clock += 1004; // poll interval + timeout not yet passed
    expect(follower.status().degraded).toBe(false);
    clock += 2;
    expect(follower.status()).toMatchObject({ degraded: true, degradedReasons: ["refresh_overdue"], tableAgeSeconds: 1.006 });

    const admin = createAdminApp({ routes, metrics: routerMetrics(), follower });
    expect(await (await admin.request("/readyz")).json()).toEqual({ status: "degraded", reasons: ["refresh_overdue"], tableAgeSeconds: 1.006 });
    expect(await (await admin.request("/metrics")).text()).toContain("ssomig_router_degraded 1\n");
    expect((await admin.request("/healthz")).status).toBe(200);

    // A poll that outlives every bound it has is a bug, not a slow database: liveness says so.
    clock += 3 * 1000 + 5;
    expect(follower.wedged()).toBe(true);
    expect((await admin.request("/healthz")).status).toBe(503);
  });

  test("a failed refresh is retried on the next tick and the router recovers on its own", async () => {
    let failing = true;
    let reads = 0;
    const routes = new RouteTable({
      loadAll: async () => ({ rows: [], horizon: "1", position: 0 }),
      changesSince: async () => {
        reads++;
        if (failing) throw Object.assign(new Error("the database did not answer"), { code: "store_unavailable" });
        return { rows: [{ organizationId: "acme", provider: "target", identifiers: [] }], horizon: "2", position: 7 };
      },
    });
    await routes.load();
    follower = followRoutes({ routes, bus: inProcessBus(), pollMs: 5, log: quiet, timeoutMs: 1000 });
    await eventually(async () => follower!.status(), (s) => s.degradedReasons.includes("store_unreachable"));
    const failedReads = await eventually(async () => reads, (n) => n >= 3); // retried tick after tick
    expect(failedReads).toBeGreaterThanOrEqual(3);
    failing = false;
    const recovered = await eventually(async () => follower!.status(), (s) => !s.degraded);
    expect(recovered.refreshFailures).toBeGreaterThanOrEqual(3);
    expect(routes.providerOf("acme")).toBe("target");
    expect(routes.position).toBe(7);
  });

  test("a stuck horizon past the threshold degrades the router, and clears when it advances", async () => {
    let age = 0;
    const routes = new RouteTable({ loadAll: async () => ({ rows: [], horizon: "1", position: 0 }), changesSince: async () => ({ rows: [], horizon: "1", position: 0 }) });
    await routes.load();
    follower = followRoutes({ routes, bus: inProcessBus(), pollMs: 5, log: quiet, horizon: async () => ({ ageSeconds: age, pending: age > 0 ? 1 : 0 }), horizonMaxAgeMs: 2000 });
    age = 1.5;
    await eventually(async () => follower!.status(), (s) => s.horizonAgeSeconds === 1.5);
    expect(follower.status().degraded).toBe(false);
    age = 2.5;
    await eventually(async () => follower!.status(), (s) => s.degraded);
    expect(follower.status()).toMatchObject({ degradedReasons: ["horizon_stuck"], horizonAgeSeconds: 2.5 });
    age = 0;
    await eventually(async () => follower!.status(), (s) => !s.degraded && s.horizonAgeSeconds === 0);
  });
});
