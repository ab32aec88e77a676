import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as xmllint from "@authenio/samlify-xmllint-wasm";
import * as samlify from "samlify";
import { parseConfig, providerCatalog } from "../../shared/config.ts";
import { openEventStore } from "../../db/event-store.ts";
import { openPglite } from "../../db/pglite.ts";
import type { Database } from "../../db/sql.ts";
import { createCommandsApp } from "../../services/commands/app.ts";
import { createTokenVerifier } from "../../services/commands/auth.ts";
import { preflightProbe } from "../../services/commands/preflight.ts";
import { mintToken } from "../../services/commands/tokens.ts";
import { silentLog } from "../../services/http/log.ts";
import { createForwarder } from "../../services/router/forward.ts";
import { selfSignedCredential } from "../e2e/support/keys.ts";
import { startUpstream } from "../support/router.ts";
import { randomSecret } from "../support/secrets.ts";

samlify.setSchemaValidator(xmllint);
const { binding: BINDING } = samlify.Constants.namespace;

const SECRET = randomSecret("api");
const PUBLIC = "https://auth.example.com";
const APP = { entityId: "https://app.example.com/saml/metadata", acsUrl: "https://app.example.com/saml/acs" };
const SSO_PATH = "/samlp/app-client";

/**
 * The target provider's SAML IdP side, as the application (a SAML service provider) reaches it:
 * samlify parses and schema-validates each AuthnRequest the preflight sends by the
 * HTTP-Redirect binding. A connection it has sends the browser to the customer's IdP; any other
 * gets the provider's error page, as Auth0 answers a `connection` it does not know.
 */
describe("preflight of a SAML connection by AuthnRequest", () => {
  const target = startUpstream("target");
  const legacy = startUpstream("legacy");
  const parsed: { issuer: string; acs: string; destination: string; connection: string | null }[] = [];
  const refused: string[] = [];
  const connections = new Map([["acme-okta", "https://acme.okta.example/app/exk1/sso/saml"]]);
  let idp: samlify.IdentityProviderInstance;
  const app = samlify.ServiceProvider({ entityID: APP.entityId, assertionConsumerService: [{ Binding: BINDING.post, Location: APP.acsUrl }] });
  target.handle(async (request) => {
    const url = new URL(request.url);
    if (url.pathname !== SSO_PATH) return new Response("not found", { status: 404 });
    try {
      const { extract } = await idp.parseLoginRequest(app, "redirect", { query: Object.fromEntries(url.searchParams), octetString: "" } as never);
      const connection = url.searchParams.get("connection");
      parsed.push({ issuer: String(extract.issuer), acs: String(extract.request?.assertionConsumerServiceUrl), destination: String(extract.request?.destination), connection });
      const sso = connection ? connections.get(connection) : undefined;
      if (!sso) return new Response("<h1>Invalid connection</h1>", { status: 400, headers: { "content-type": "text/html" } });
      return new Response(null, { status: 302, headers: { location: `${sso}?SAMLRequest=onward` } });
    } catch (error) {
      refused.push(String(error));
      return new Response("bad request", { status: 400 });
    }
  });
  const config = parseConfig({
    publicUrl: PUBLIC,
    providers: [
      { id: "legacy", role: "legacy", origin: legacy.origin },
      {
        id: "target",
        role: "target",
        origin: target.origin,
        preflight: { clientId: "preflight-app", redirectUri: "https://app.example.com/cb", saml: { ssoPath: SSO_PATH, entityId: APP.entityId, acsUrl: APP.acsUrl } },
      },
    ],
  });
  let db: Database;
  let api: ReturnType<typeof createCommandsApp>;
  let token: string;
  beforeAll(async () => {
    const credential = await selfSignedCredential("target.example");
    idp = samlify.IdentityProvider({
      entityID: `${PUBLIC}/samlp/metadata`,
      privateKey: credential.privateKeyPem,
      signingCert: credential.certificatePem,
      singleSignOnService: [{ Binding: BINDING.redirect, Location: `${PUBLIC}${SSO_PATH}` }],
      singleLogoutService: [{ Binding: BINDING.redirect, Location: `${PUBLIC}/samlp/logout` }],
    });
    db = await openPglite();
    const store = await openEventStore(db);
    const preflight = preflightProbe({ providers: config.providers, forward: createForwarder({ publicUrl: PUBLIC, fetch: (input, init) => fetch(input, init) }), publicUrl: PUBLIC });
    api = createCommandsApp({ store, providers: providerCatalog(config), verifyToken: await createTokenVerifier({ secret: SECRET }), log: silentLog, preflight });
    token = await mintToken(SECRET, { subject: "ops@example.com", scopes: ["migrations:write"], ttlSeconds: 300 });
  });
  afterAll(async () => {
    target.stop();
    legacy.stop();
    await db?.close();
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await api.request(path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: response.status, body: (await response.json()) as any };
  };

  test("a connection the provider has passes: the AuthnRequest is valid SAML the provider's IdP side parsed", async () => {
    await call("POST", "/v1/organizations", { id: "acme", name: "Acme", identifiers: [{ kind: "connection", value: "acme-okta" }] });
    const result = await call("POST", "/v1/organizations/acme/preflight");
    expect(result.body).toMatchObject({ passed: true, checks: [{ kind: "connection", value: "acme-okta", passed: true, detail: "redirects to the IdP at acme.okta.example" }] });
    expect(refused).toEqual([]);
    expect(parsed.at(-1)).toEqual({ issuer: APP.entityId, acs: APP.acsUrl, destination: `${PUBLIC}${SSO_PATH}`, connection: "acme-okta" });
    // A SAML connection is not probed with an OIDC authorize request.
    expect(target.requests.every((r) => new URL(r.url).pathname === SSO_PATH)).toBe(true);
  });

  test("a connection the provider does not have fails with the provider's answer as the reason", async () => {
    await call("POST", "/v1/organizations", { id: "globex", name: "Globex", identifiers: [{ kind: "connection", value: "globex-adfs" }] });
    const result = await call("POST", "/v1/organizations/globex/preflight");
    expect(result.body).toMatchObject({ passed: false, checks: [{ kind: "connection", value: "globex-adfs", passed: false, detail: "answered 400 instead of a redirect to the IdP" }] });
    expect(parsed.at(-1)?.connection).toBe("globex-adfs");
    expect(refused).toEqual([]);
  });

  test("the SAML settings are validated: a path with a query and a bad parameter name are refused", () => {
    const withSaml = (saml: Record<string, unknown>) => () =>
      parseConfig({
        publicUrl: PUBLIC,
        providers: [
          { id: "legacy", role: "legacy", origin: legacy.origin },
          { id: "target", role: "target", origin: target.origin, preflight: { clientId: "c", redirectUri: "https://app.example.com/cb", saml } },
        ],
      });
    expect(withSaml({ ssoPath: "/samlp/x?connection=a", entityId: APP.entityId, acsUrl: APP.acsUrl })).toThrow(/ssoPath/);
    expect(withSaml({ ssoPath: SSO_PATH, entityId: APP.entityId, acsUrl: APP.acsUrl, connectionParameter: "a b" })).toThrow(/connectionParameter/);
    expect(withSaml({ ssoPath: SSO_PATH, entityId: APP.entityId, acsUrl: "not a url" })).toThrow(/acsUrl/);
    expect(withSaml({ ssoPath: SSO_PATH, entityId: APP.entityId, acsUrl: APP.acsUrl })).not.toThrow();
  });
});
