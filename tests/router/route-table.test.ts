import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { EventStore } from "../../db/event-store.ts";
import { routeSource } from "../../db/route-source.ts";
import { RouteTable } from "../../services/router/route-table.ts";
import { createAdminApp } from "../../services/router/admin-app.ts";
import { routerMetrics } from "../../services/router/metrics.ts";
import { BACKENDS, type StoreFixture } from "../support/stores.ts";
import { migrate, register, rollBack, run } from "../support/commands.ts";
import { eventually } from "../support/eventually.ts";

for (const backend of BACKENDS) {
  describe(`route table on ${backend.name}`, () => {
    let f: StoreFixture;
    let store: EventStore;
    beforeAll(async () => {
      f = await backend.open();
      store = f.store;
    });
    afterAll(() => f.close());

    test("loads every organization and identifier, then reads only what changed", async () => {
      await run(store, register("t-acme", [{ kind: "domain", value: "t-acme.com" }, { kind: "client_id", value: "t-acme-m2m" }]));
      const table = new RouteTable(routeSource(f.db));
      await table.load();
      expect(table.providerOf("t-acme")).toBe("legacy");
      expect(table.organizationOf("domain", "t-acme.com")).toBe("t-acme");
      const outcome = await run(store, migrate("t-acme"));
      await eventually(async () => (await table.refresh(), table.position), (p) => p >= outcome.position);
      expect(table.providerOf("t-acme")).toBe("target");
      await run(store, register("t-new", [{ kind: "domain", value: "t-new.com" }]));
      await eventually(async () => (await table.refresh(), table.providerOf("t-new")), (p) => p === "legacy");
      expect(table.status()).toMatchObject({ organizations: 2, identifiers: 3 });
    });

    test("an identifier moved to another organization follows it, and an unlinked one is gone", async () => {
      await run(store, register("m-a", [{ kind: "domain", value: "moving.com" }, { kind: "saml_issuer", value: "https://idp/m-a" }]));
      await run(store, register("m-b"));
      await run(store, migrate("m-b"));
      const table = new RouteTable(routeSource(f.db));
      await table.load();
      await run(store, { type: "UnlinkIdentifier", organizationId: "m-a", identifier: { kind: "domain", value: "moving.com" } });
      await run(store, { type: "LinkIdentifier", organizationId: "m-b", identifier: { kind: "domain", value: "moving.com" } });
      await run(store, { type: "UnlinkIdentifier", organizationId: "m-a", identifier: { kind: "saml_issuer", value: "https://idp/m-a" } });
      await eventually(async () => (await table.refresh(), table.organizationOf("domain", "moving.com")), (o) => o === "m-b");
      expect(table.organizationOf("saml_issuer", "https://idp/m-a")).toBeUndefined();
      await run(store, rollBack("m-b"));
      await eventually(async () => (await table.refresh(), table.providerOf("m-b")), (p) => p === "legacy");
    });

    test("a router reads the rows a replay swapped in, even though the log did not move", async () => {
      await run(store, register("r-fix", [{ kind: "domain", value: "r-fix.com" }]));
      await run(store, migrate("r-fix"));
      await f.db.query("UPDATE organizations SET provider = 'legacy', transaction_id = pg_current_xact_id() WHERE id = 'r-fix'");
      const table = new RouteTable(routeSource(f.db));
      await table.load();
      expect(table.providerOf("r-fix")).toBe("legacy");
      const position = table.position;
      expect((await store.replay({ swap: true })).swapped).toBe(true);
      await eventually(async () => (await table.refresh(), table.providerOf("r-fix")), (p) => p === "target");
      expect(table.position).toBe(position);
      expect((await store.replay({ swap: false })).matched).toBe(true);
    });

    test("concurrent refreshes share one read and end up current", async () => {
      const table = new RouteTable(routeSource(f.db));
      await table.load();
      await run(store, register("c-1"));
      const last = await run(store, migrate("c-1"));
      await eventually(async () => (await Promise.all([table.refresh(), table.refresh(), table.refresh()]), table.position), (p) => p >= last.position);
      expect(table.providerOf("c-1")).toBe("target");
    });

    test("the admin port says ready only once the table is loaded, with status and metrics", async () => {
      const table = new RouteTable(routeSource(f.db));
      const admin = createAdminApp({ routes: table, metrics: routerMetrics() });
      expect((await admin.request("/readyz")).status).toBe(503);
      await table.load();
      expect((await admin.request("/readyz")).status).toBe(200);
      expect((await admin.request("/healthz")).status).toBe(200);
      const status = (await (await admin.request("/status")).json()) as Record<string, unknown>;
      expect(status).toMatchObject({ position: expect.any(Number), organizations: expect.any(Number), identifiers: expect.any(Number), loadedAt: expect.any(String) });
      const metrics = await (await admin.request("/metrics")).text();
      expect(metrics).toContain(`ssomig_route_table_position ${table.position}`);
    });
  });
}

test("an empty projection loads as an empty, ready table at position 0", async () => {
  const f = await BACKENDS[1]!.open();
  try {
    const table = new RouteTable(routeSource(f.db));
    await table.load();
    expect(table.loaded).toBe(true);
    expect(table.status()).toMatchObject({ position: 0, organizations: 0, identifiers: 0 });
  } finally {
    await f.close();
  }
});
