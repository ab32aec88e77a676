import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { PIN_COOKIE } from "../../services/router/pin-cookie.ts";
import { eventually } from "../support/eventually.ts";
import { TEST_NATS_URL, natsAvailable } from "../support/nats.ts";
import { sha256Hex } from "../support/router.ts";
import type { Runtime } from "../support/processes.ts";
import { deployment, type Deployment, type Router } from "../propagation/harness.ts";

const FIXTURE = readFileSync(new URL("../../../shared/fixtures/saml/files/ssoready__assertions_okta_assertion.xml", import.meta.url), "utf8");
const ISSUER = "http://www.okta.com/exkdoocxa1VmjpXmX697";
const SAML_BODY = `SAMLResponse=${encodeURIComponent(btoa(FIXTURE))}&RelayState=rs`;

/** The same scenario, with the command API and a router started as their own processes on each runtime. */
for (const runtime of ["bun", "node", "deno"] as Runtime[]) {
  describe(`on ${runtime}`, () => {
    let d: Deployment;
    let router: Router;
    beforeAll(async () => {
      await natsAvailable();
      d = await deployment({ natsUrl: TEST_NATS_URL, pollMs: 500, runtime });
      router = await d.startRouter();
    }, 60_000);
    afterAll(() => d?.close(), 30_000);

    const postSaml = async () => {
      const response = await fetch(`http://127.0.0.1:${router.port}/saml2/idpresponse`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: SAML_BODY });
      return (await response.json()) as { provider: string; bodySha256: string };
    };
    const sees = (provider: string) => eventually(postSaml, (r) => r.provider === provider, 3000);

    test("register, migrate, route a SAML POST and an authorize request, roll back, read the history", async () => {
      const registered = await d.command("/v1/organizations", { id: "acme", name: "Acme", identifiers: [{ kind: "saml_issuer", value: ISSUER }, { kind: "domain", value: "acme.com" }] });
      expect(registered.status).toBe(201);
      const before = await sees("legacy");
      expect(before.bodySha256).toBe(await sha256Hex(SAML_BODY));

      expect((await d.command("/v1/organizations/acme/migrate", { reason: `on ${runtime}` })).status).toBe(200);
      const after = await sees("target");
      expect(after.bodySha256).toBe(await sha256Hex(SAML_BODY));
      const authorize = await fetch(`http://127.0.0.1:${router.port}/authorize?login_hint=jane@acme.com&client_id=app`);
      expect(((await authorize.json()) as { provider: string }).provider).toBe("target");
      expect(authorize.headers.getSetCookie().some((c) => c.startsWith(`${PIN_COOKIE}=`))).toBe(true);

      expect((await d.command("/v1/organizations/acme/rollback", { reason: "back" })).status).toBe(200);
      await sees("legacy");

      const history = await d.get("/v1/organizations/acme/events");
      expect(history.body.events.map((e: { type: string }) => e.type)).toEqual(["OrganizationRegistered", "OrganizationMigrated", "OrganizationRolledBack"]);
      expect(await d.status(router)).toMatchObject({ bus: "nats", busConnected: true, degraded: false });
    }, 30_000);

    test("the API serves its OpenAPI document and the reference page's files from node_modules", async () => {
      const document = await fetch(`${d.apiUrl}/openapi.json`);
      expect(document.status).toBe(200);
      expect(((await document.json()) as { openapi: string }).openapi).toBe("3.1.0");
      for (const [file, type] of [["swagger-ui-bundle.js", "text/javascript; charset=utf-8"], ["swagger-ui.css", "text/css; charset=utf-8"]] as const) {
        const asset = await fetch(`${d.apiUrl}/reference/${file}`);
        expect({ file, status: asset.status, type: asset.headers.get("content-type") }).toEqual({ file, status: 200, type });
        expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
      }
    }, 30_000);
  });
}
