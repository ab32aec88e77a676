import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { routeSource } from "../../db/route-source.ts";
import { normalizeIdentifierSpellings } from "../../db/identifier-spellings.ts";
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
      expect(rows.map((r) => r.value)).toEqual(["old.example"]); // the projection holds the normal form
      await eventually(async () => (await table.refresh(), table.organizationOf("oidc_issuer", "https://idp.old.example")), (o) => o === undefined);
      expect(table.organizationOf("domain", "old.example")).toBe("old-spell");
    });

    test("at start, rows left in an old spelling are brought to their normal form, and one identity held by two organizations is reported, not guessed", async () => {
      for (const id of ["olda", "oldb", "oldc", "solo"]) await run(f.store, register(id, []));
      // As a projection written before normalization holds them (the primary key saw three values).
      await f.db.query(
        `INSERT INTO identifiers (kind, value, organization_id) VALUES
           ('oidc_issuer', 'https://IdP.shared.example/', 'olda'), ('oidc_issuer', 'HTTPS://IDP.SHARED.EXAMPLE:443/', 'oldc'),
           ('domain', 'Shared.Example', 'olda'), ('domain', 'shared.example', 'oldb'),
           ('oidc_issuer', 'HTTPS://Solo.example:443/', 'solo'), ('domain', 'Solo.Example.', 'solo')`,
      );
      const { rewritten, collisions } = await normalizeIdentifierSpellings(f.db);
      expect(rewritten).toBe(2);
      expect(collisions.map((c) => [c.kind, c.normal, c.holders.map((h) => h.organizationId).sort()]).sort()).toEqual([
        ["domain", "shared.example", ["olda", "oldb"]],
        ["oidc_issuer", "https://idp.shared.example", ["olda", "oldc"]],
      ]);
      const solo = await f.db.query<{ kind: string; value: string }>("SELECT kind, value FROM identifiers WHERE organization_id = 'solo' ORDER BY kind");
      expect(solo).toEqual([{ kind: "domain", value: "solo.example" }, { kind: "oidc_issuer", value: "https://solo.example" }]);
      // Another organization can no longer take the rewritten identity in any spelling.
      await expect(run(f.store, register("newx", [{ kind: "oidc_issuer", value: "https://solo.example" }]))).rejects.toMatchObject({ code: "identifier_taken" });
      expect((await normalizeIdentifierSpellings(f.db)).rewritten).toBe(0);
    });
  });
}
