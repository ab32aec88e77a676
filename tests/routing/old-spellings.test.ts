import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { routeSource } from "../../db/route-source.ts";
import { RouteTable } from "../../services/router/route-table.ts";
import { lookupSpelling } from "../../shared/identifier-spelling.ts";
import { BACKENDS, type StoreFixture } from "../support/stores.ts";
import { register, run } from "../support/commands.ts";
import { eventually } from "../support/eventually.ts";

/**
 * Projections written before identifiers were normalized hold spellings such as
 * "HTTPS://IdP.Old.example/". `run` appends through the decider without the API's
 * normalization, which is how such rows were written.
 */
for (const backend of BACKENDS) {
  describe(`identifiers stored in an old spelling, on ${backend.name}`, () => {
    let f: StoreFixture;
    beforeAll(async () => {
      f = await backend.open();
    });
    afterAll(() => f.close());

    test("the router finds them by their normal form, and an unlink by the normal form removes them", async () => {
      await run(f.store, register("old-spell", [{ kind: "oidc_issuer", value: "HTTPS://IdP.Old.example/" }, { kind: "domain", value: "Old.Example." }]));
      const table = new RouteTable(routeSource(f.db));
      await table.load();
      expect(table.organizationOf("oidc_issuer", lookupSpelling("oidc_issuer", "https://idp.old.example"))).toBe("old-spell");
      expect(table.organizationOf("oidc_issuer", lookupSpelling("oidc_issuer", "https://IDP.old.example:443/"))).toBe("old-spell");
      expect(table.organizationOf("domain", lookupSpelling("domain", "old.example"))).toBe("old-spell");

      const unlinked = await run(f.store, { type: "UnlinkIdentifier", organizationId: "old-spell", identifier: { kind: "oidc_issuer", value: "https://idp.old.example" } });
      expect(unlinked.state.status === "registered" && unlinked.state.identifiers).toEqual([{ kind: "domain", value: "Old.Example." }]);
      const rows = await f.db.query<{ value: string }>("SELECT value FROM identifiers WHERE organization_id = 'old-spell' ORDER BY value");
      expect(rows.map((r) => r.value)).toEqual(["Old.Example."]);
      await eventually(async () => (await table.refresh(), table.organizationOf("oidc_issuer", "https://idp.old.example")), (o) => o === undefined);
      expect(table.organizationOf("domain", "old.example")).toBe("old-spell");
    });
  });
}
