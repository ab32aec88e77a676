import { describe, expect, test } from "bun:test";
import type { RouteSnapshot, RouteSource } from "../../db/route-source.ts";
import { RouteTable } from "../../services/router/route-table.ts";
import { normalizeIdentifier } from "../../shared/identifiers.ts";
import type { Classification, RoutableRequest } from "../../shared/routing/classify-request.ts";
import { resolveOrganization } from "../../shared/routing/resolve-organization.ts";

/** In memory: the route table's logic without a database (the projection's SQL is tested in tests/router). */
function fixedSource(snapshot: RouteSnapshot): RouteSource {
  return { loadAll: async () => snapshot, changesSince: async () => ({ rows: [], horizon: snapshot.horizon, position: snapshot.position }) };
}

async function table() {
  const routes = new RouteTable(
    fixedSource({
      horizon: "1",
      position: 3,
      rows: [
        // Registered through today's API: normal forms (the API test checks the API writes these).
        { organizationId: "munich", provider: "target", identifiers: [{ kind: "domain", value: "xn--mnchen-3ya.de" }, { kind: "oidc_issuer", value: "https://login.munich.example" }] },
        // Written before identifiers were normalized: the table keys them by their normal form.
        { organizationId: "legacy-spelling", provider: "target", identifiers: [{ kind: "domain", value: "OldCorp.COM." }, { kind: "oidc_issuer", value: "HTTPS://IdP.OldCorp.com/tenant/" }] },
        { organizationId: "exact", provider: "target", identifiers: [{ kind: "saml_issuer", value: "HTTPS://Exact.example/" }] },
      ],
    }),
  );
  await routes.load();
  return routes;
}

const request = (query: string): RoutableRequest => ({ method: "GET", path: "/authorize", query: new URLSearchParams(query), form: null, basicClientId: null });
const AUTHORIZE: Classification = { kind: "authorize", saml: null, pathConnection: null };
const CALLBACK: Classification = { kind: "oidc_callback", saml: null, pathConnection: null };

async function resolve(query: string, classification = AUTHORIZE) {
  const lookup = await table();
  return resolveOrganization(request(query), classification, { lookup, readPin: async () => null, defaultProvider: "legacy" });
}

describe("the router looks requests up in the API's normal form", () => {
  test("the rows above are what the API stores for those spellings", () => {
    expect(normalizeIdentifier("domain", "münchen.de").value).toBe("xn--mnchen-3ya.de");
    expect(normalizeIdentifier("oidc_issuer", "https://Login.Munich.example:443/").value).toBe("https://login.munich.example");
  });

  test.each([
    ["login_hint=jane@münchen.de", "munich"],
    ["login_hint=jane@MÜNCHEN.DE.", "munich"],
    ["login_hint=jane@xn--mnchen-3ya.de.", "munich"],
    ["login_hint=jane@XN--MNCHEN-3YA.DE", "munich"],
    ["domain=m%C3%BCnchen.de", "munich"],
    ["domain_hint=%20MÜNCHEN.de.%20", "munich"],
    ["login_hint=bob@oldcorp.com", "legacy-spelling"],
    ["login_hint=bob@OLDCORP.com.", "legacy-spelling"],
  ])("%s finds %s", async (query, organization) => {
    const decision = await resolve(query);
    expect({ organization: decision.organizationId, provider: decision.provider }).toEqual({ organization, provider: "target" });
  });

  test.each([
    ["iss=https://login.munich.example", "munich"],
    ["iss=https://login.munich.example/", "munich"],
    ["iss=HTTPS://LOGIN.munich.example:443", "munich"],
    ["iss=https://idp.oldcorp.com/tenant", "legacy-spelling"],
    ["iss=https://IDP.oldcorp.com/tenant/", "legacy-spelling"],
  ])("an OIDC callback with %s finds %s", async (query, organization) => {
    const decision = await resolve(query.replace(/=(.*)$/, (_, v: string) => `=${encodeURIComponent(v)}`), CALLBACK);
    expect({ organization: decision.organizationId, signal: decision.signal }).toEqual({ organization, signal: "oidc_iss" });
  });

  test("invisible characters and path-case differences find nothing", async () => {
    for (const query of ["login_hint=jane@m%E2%80%8Bünchen.de", "iss=https%3A%2F%2Fidp.oldcorp.com%2FTENANT", "login_hint=jane@münchen.de:443"]) {
      expect((await resolve(query, query.startsWith("iss") ? CALLBACK : AUTHORIZE)).signal).toBe("default");
    }
  });

  test("SAML issuers are matched exactly, as the IdP sends them", async () => {
    const routes = await table();
    expect(routes.organizationOf("saml_issuer", "HTTPS://Exact.example/")).toBe("exact");
    expect(routes.organizationOf("saml_issuer", "https://exact.example")).toBeUndefined();
  });
});
