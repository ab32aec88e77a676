import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { jwtVerify, SignJWT } from "jose";
import { PIN_COOKIE } from "../../services/router/pin-cookie.ts";
import { forceRoutes } from "../../services/router/force-route.ts";
import { runRouteToken } from "../../cli/route-token.ts";
import { routerHarness, type Echo, type RouterHarness, form, PIN_SECRET } from "../support/router.ts";

const OKTA_FIXTURE = new URL("../../../shared/fixtures/saml/files/ssoready__assertions_okta_assertion.xml", import.meta.url);
const OKTA_ISSUER = "http://www.okta.com/exkdoocxa1VmjpXmX697";

async function deflateBase64(xml: string): Promise<string> {
  const stream = new Blob([xml]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  return btoa(String.fromCharCode(...bytes));
}

let h: RouterHarness;
let router: ReturnType<RouterHarness["router"]>;

beforeAll(async () => {
  h = await routerHarness();
  router = h.router();
  await router.routes.load();
  await h.register("acme", [
    { kind: "domain", value: "acme.com" },
    { kind: "saml_issuer", value: OKTA_ISSUER },
    { kind: "oidc_issuer", value: "https://acme.okta.com" },
    { kind: "connection", value: "acme-okta" },
    { kind: "client_id", value: "acme-m2m" },
  ]);
  await h.register("globex", [{ kind: "domain", value: "globex.com" }]);
  await h.migrate("globex");
});
afterAll(() => h.close());

async function echo(app = router.app, path: string, init: RequestInit = {}): Promise<Echo & { status: number; setCookie: string[] }> {
  const response = await app.request(path, init);
  const body = (await response.json()) as Echo;
  return { ...body, status: response.status, setCookie: response.headers.getSetCookie() };
}
const lastLog = () => h.logs.at(-1)!;

describe("finding the organization", () => {
  test("routes an unknown organization to the default provider", async () => {
    expect((await echo(undefined, "/authorize?login_hint=jane@unknown.example")).provider).toBe("legacy");
    expect(lastLog()).toMatchObject({ signal: "default", organization: null, provider: "legacy" });
  });

  test("routes by an explicit organization_id parameter", async () => {
    expect((await echo(undefined, "/authorize?organization_id=globex")).provider).toBe("target");
    expect(lastLog()).toMatchObject({ signal: "organization_id", organization: "globex" });
  });

  test("routes by a connection parameter, and falls through when it names nothing known", async () => {
    const r = await echo(undefined, "/authorize?connection=acme-okta&login_hint=bob@globex.com");
    expect(r.provider).toBe("legacy");
    expect(lastLog()).toMatchObject({ signal: "connection", organization: "acme" });
    const fallthrough = await echo(undefined, "/authorize?connection=nobody&login_hint=bob@globex.com");
    expect(fallthrough.provider).toBe("target");
    expect(lastLog()).toMatchObject({ signal: "login_hint", organization: "globex" });
  });

  test("routes by login_hint's email domain and by a domain parameter", async () => {
    expect((await echo(undefined, "/authorize?login_hint=Jane%40GLOBEX.com")).provider).toBe("target");
    expect((await echo(undefined, "/oauth/authorize?domain=globex.com")).provider).toBe("target");
    expect(lastLog()).toMatchObject({ signal: "domain", organization: "globex" });
  });

  test("routes M2M token requests by client_id in the form body or HTTP Basic", async () => {
    await h.migrate("acme");
    const body = await echo(undefined, "/oauth/token", form({ grant_type: "client_credentials", client_id: "acme-m2m", client_secret: "s" }));
    expect(body.provider).toBe("target");
    expect(lastLog()).toMatchObject({ signal: "client_id", organization: "acme", kind: "token" });
    const basic = await echo(undefined, "/oauth/token", {
      ...form({ grant_type: "client_credentials" }),
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa("acme-m2m:secret")}` },
    });
    expect(basic.provider).toBe("target");
    await h.rollBack("acme");
  });

  test("routes a SAML POST by the Response Issuer, on any ACS path", async () => {
    const xml = readFileSync(OKTA_FIXTURE, "utf8");
    await h.migrate("acme");
    const r = await echo(undefined, "/saml2/idpresponse", form({ SAMLResponse: btoa(xml), RelayState: "r" }));
    expect(r.provider).toBe("target");
    expect(lastLog()).toMatchObject({ signal: "saml_issuer", organization: "acme", kind: "saml_post" });
    await h.rollBack("acme");
    expect((await echo(undefined, "/saml2/idpresponse", form({ SAMLResponse: btoa(xml) }))).provider).toBe("legacy");
  });

  test("routes a SAML POST whose sender forgot to percent-encode the base64 '+' characters", async () => {
    const base64 = btoa(readFileSync(OKTA_FIXTURE, "utf8"));
    expect(base64).toContain("+");
    await h.migrate("acme");
    const raw = await echo(undefined, "/saml2/idpresponse", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `SAMLResponse=${base64}` });
    expect(raw.provider).toBe("target");
    expect(lastLog()).toMatchObject({ signal: "saml_issuer", organization: "acme" });
    await h.rollBack("acme");
  });

  test("routes a deflated Redirect-binding LogoutRequest by its Issuer", async () => {
    const logout = `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" Version="2.0" IssueInstant="2024-01-01T00:00:00Z"><saml:Issuer>${OKTA_ISSUER}</saml:Issuer><saml:NameID>jane@acme.com</saml:NameID></samlp:LogoutRequest>`;
    await h.migrate("acme");
    const r = await echo(undefined, `/saml/slo?SAMLRequest=${encodeURIComponent(await deflateBase64(logout))}&RelayState=x`);
    expect(r.provider).toBe("target");
    expect(lastLog()).toMatchObject({ signal: "saml_issuer", organization: "acme" });
    await h.rollBack("acme");
  });

  test("routes an OIDC callback by its iss parameter", async () => {
    await h.migrate("acme");
    expect((await echo(undefined, "/callback?code=abc&state=xyz&iss=https%3A%2F%2Facme.okta.com")).provider).toBe("target");
    expect(lastLog()).toMatchObject({ signal: "oidc_iss", organization: "acme", kind: "oidc_callback" });
    await h.rollBack("acme");
  });

  test("a signal that names nothing known falls through to the next", async () => {
    const r = await echo(undefined, "/oauth/token", form({ grant_type: "client_credentials", client_id: "nobody", organization_id: "ghost", login_hint: "x@globex.com" }));
    expect(r.provider).toBe("target");
    expect(lastLog()).toMatchObject({ signal: "login_hint", organization: "globex" });
  });
});

describe("operators' force-route header", () => {
  const routes = forceRoutes(PIN_SECRET, { providers: ["legacy", "target"] });

  test("sends a request to the provider its token names, before any other signal, and is not forwarded", async () => {
    const token = routes.mint({ provider: "target", organizationId: "acme" }, 60);
    const r = await echo(undefined, "/authorize?login_hint=jane@acme.com", { headers: { "x-ssomig-route": token } });
    expect(r.provider).toBe("target");
    expect(r.headers["x-ssomig-route"]).toBeUndefined();
    expect(lastLog()).toMatchObject({ signal: "force_route", organization: "acme", provider: "target" });
    const pinned = r.setCookie.find((c) => c.startsWith(PIN_COOKIE))!.split(";")[0]!;
    expect((await echo(undefined, "/callback?code=c", { headers: { cookie: pinned } })).provider).toBe("target");
  });

  test("refuses a forged, expired or pin token with 403 invalid_route_token, and forwards nothing", async () => {
    const expired = forceRoutes(PIN_SECRET, { providers: ["legacy", "target"], now: () => Math.floor(Date.now() / 1000) - 3600 }).mint({ provider: "target", organizationId: "acme" }, 60);
    const forged = forceRoutes("another-secret-that-is-also-32-bytes-long!", { providers: ["target"] }).mint({ provider: "target", organizationId: "acme" }, 60);
    const pin = (await echo(undefined, "/authorize?login_hint=jane@acme.com")).setCookie.find((c) => c.startsWith(PIN_COOKIE))!.split(";")[0]!.split("=")[1]!;
    h.target.requests.length = 0;
    for (const token of [expired, forged, pin, "garbage"]) {
      const response = await router.app.request("/authorize", { headers: { "x-ssomig-route": token } });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { code: string }).code).toBe("invalid_route_token");
    }
    expect(h.target.requests).toHaveLength(0);
  });

  test("npx ssomig route-token mints a token the router accepts", async () => {
    const lines: string[] = [];
    const code = await runRouteToken(["--provider", "target", "--org", "acme", "--ttl", "5m"], { readSecret: async () => PIN_SECRET, out: (l) => lines.push(l), err: (l) => lines.push(l) });
    expect(code).toBe(0);
    expect((await echo(undefined, "/anything", { headers: { "x-ssomig-route": lines[0]! } })).provider).toBe("target");
    expect(await runRouteToken(["--ttl", "5m"], { readSecret: async () => PIN_SECRET, out: () => {}, err: (l) => lines.push(l) })).toBe(2);
    expect(lines.at(-1)).toContain("--provider is required");
  });
});

describe("a flow finishes where it started", () => {
  const pinFrom = (setCookie: string[]) => setCookie.find((c) => c.startsWith(`${PIN_COOKIE}=`))!.split(";")[0]!;

  test("the authorize response pins the flow: SameSite=None, Secure, HttpOnly, short-lived", async () => {
    const r = await echo(undefined, "/authorize?login_hint=jane@acme.com");
    const cookie = r.setCookie.find((c) => c.startsWith(PIN_COOKIE))!;
    expect(cookie).toContain("SameSite=None");
    expect(cookie).toContain("Secure");
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("Path=/");
    expect(cookie).toMatch(/Max-Age=\d{3}/);
    expect(r.headers.cookie).toBeUndefined();
  });

  test("an organization migrated mid-flow finishes its login on the provider it started on", async () => {
    const start = await echo(undefined, "/authorize?login_hint=jane@acme.com");
    expect(start.provider).toBe("legacy");
    await h.migrate("acme");
    // The Response of an SP-initiated flow answers its AuthnRequest.
    const xml = readFileSync(OKTA_FIXTURE, "utf8").replace("<saml2p:Response ", '<saml2p:Response InResponseTo="_authn-1" ');
    const pinned = await echo(undefined, "/saml2/idpresponse", { ...form({ SAMLResponse: btoa(xml) }), headers: { "content-type": "application/x-www-form-urlencoded", cookie: `other=1; ${pinFrom(start.setCookie)}` } });
    expect(pinned.provider).toBe("legacy");
    expect(pinned.headers.cookie).toBe("other=1");
    expect(lastLog()).toMatchObject({ organization: "acme", signal: "saml_issuer", pinned: true });
    const fresh = await echo(undefined, "/saml2/idpresponse", form({ SAMLResponse: btoa(xml) }));
    expect(fresh.provider).toBe("target");
    await h.rollBack("acme");
  });

  test("the pin holds across router instances sharing the pin secret", async () => {
    const other = h.router();
    await other.routes.load();
    const start = await echo(undefined, "/authorize?login_hint=jane@acme.com");
    await h.migrate("acme");
    const callback = await echo(other.app, "/callback?code=c&state=s", { headers: { cookie: pinFrom(start.setCookie) } });
    expect(callback.provider).toBe("legacy");
    expect(lastLog()).toMatchObject({ signal: "pin", organization: "acme", pinned: true });
    expect((await echo(other.app, "/callback?code=c&state=s")).provider).toBe("legacy");
    expect(lastLog()).toMatchObject({ signal: "default" });
    await h.rollBack("acme");
  });

  test("a new login (authorize) or an IdP-initiated response is routed by the table, not by an earlier pin", async () => {
    const start = await echo(undefined, "/authorize?login_hint=jane@acme.com");
    await h.migrate("acme");
    const cookie = { cookie: pinFrom(start.setCookie) };
    expect((await echo(undefined, "/authorize?login_hint=jane@acme.com", { headers: cookie })).provider).toBe("target");
    const unsolicited = readFileSync(OKTA_FIXTURE, "utf8");
    const idpInitiated = await echo(undefined, "/saml2/idpresponse", { ...form({ SAMLResponse: btoa(unsolicited) }), headers: { "content-type": "application/x-www-form-urlencoded", ...cookie } });
    expect(idpInitiated.provider).toBe("target");
    expect(lastLog()).toMatchObject({ signal: "saml_issuer", pinned: false });
    await h.rollBack("acme");
  });

  test("a pin for another organization does not decide this one's provider", async () => {
    const start = await echo(undefined, "/authorize?login_hint=jane@acme.com");
    const r = await echo(undefined, "/authorize?login_hint=bob@globex.com", { headers: { cookie: pinFrom(start.setCookie) } });
    expect(r.provider).toBe("target");
    expect(lastLog()).toMatchObject({ organization: "globex", pinned: false });
  });

  test("the pin is a standard HS256 JWT: jose verifies the router's, and the router reads jose's", async () => {
    const key = new TextEncoder().encode(PIN_SECRET);
    const start = await echo(undefined, "/authorize?login_hint=jane@acme.com");
    const { payload } = await jwtVerify(pinFrom(start.setCookie).split("=")[1]!, key, { algorithms: ["HS256"] });
    expect(payload).toMatchObject({ o: "acme", p: "legacy", exp: expect.any(Number) });
    const joseSigned = await new SignJWT({ o: "acme", p: "target" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(key);
    const r = await echo(undefined, "/callback?code=c", { headers: { cookie: `${PIN_COOKIE}=${joseSigned}` } });
    expect(r.provider).toBe("target");
    expect(lastLog()).toMatchObject({ signal: "pin", pinned: true });
  });

  test("forged, expired and unknown-provider pins are ignored", async () => {
    const key = new TextEncoder().encode(PIN_SECRET);
    const expired = await new SignJWT({ o: "acme", p: "target" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(key);
    const forged = await new SignJWT({ o: "acme", p: "target" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(new TextEncoder().encode("x".repeat(40)));
    const unknown = await new SignJWT({ o: "acme", p: "elsewhere" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(key);
    for (const pin of [expired, forged, unknown, "garbage"]) {
      const r = await echo(undefined, "/callback?code=c", { headers: { cookie: `${PIN_COOKIE}=${pin}` } });
      expect(r.provider).toBe("legacy");
      expect(lastLog()).toMatchObject({ signal: "default", pinned: false });
    }
  });
});

describe("token endpoint", () => {
  test("a code the default provider issued is answered there, with no second request", async () => {
    let targetCalls = 0;
    h.legacy.handle(() => Response.json({ access_token: "legacy-at" }));
    h.target.handle(() => {
      targetCalls++;
      return Response.json({ access_token: "target-at" });
    });
    const response = await router.app.request("/oauth/token", form({ grant_type: "refresh_token", refresh_token: "rt" }));
    expect(await response.json()).toEqual({ access_token: "legacy-at" });
    expect(targetCalls).toBe(0);
  });

  test("an error that is not 'never issued' is returned as it is", async () => {
    h.legacy.handle(() => Response.json({ error: "invalid_request" }, { status: 400 }));
    const response = await router.app.request("/oauth/token", form({ grant_type: "authorization_code", code: "c" }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "invalid_request" });
  });

});

describe("keys and discovery", () => {
  test("serves the union of both providers' JWKS and points discovery at it", async () => {
    const key = (kid: string) => ({ kty: "RSA", kid, n: `n-${kid}`, e: "AQAB", alg: "RS256", use: "sig" });
    h.legacy.handle((r) =>
      new URL(r.url).pathname === "/.well-known/jwks.json"
        ? Response.json({ keys: [key("legacy-1"), key("shared")] })
        : Response.json({ issuer: "https://auth.example.test", jwks_uri: "https://auth.example.test/jwks", authorization_endpoint: "https://auth.example.test/authorize" }),
    );
    h.target.handle(() => Response.json({ keys: [key("target-1"), key("shared")] }));
    const jwks = h.router();
    const response = await jwks.app.request("/.well-known/jwks.json");
    expect(response.status).toBe(200);
    const kids = ((await response.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
    expect(kids).toEqual(["legacy-1", "shared", "target-1"]);
    const discovery = (await (await jwks.app.request("/.well-known/openid-configuration")).json()) as Record<string, string>;
    expect(discovery.jwks_uri).toBe("https://auth.example.test/.well-known/jwks.json");
    expect(discovery.authorization_endpoint).toBe("https://auth.example.test/authorize");
  });

  test("keeps serving the keys it has when a provider's JWKS is down", async () => {
    h.legacy.handle(() => Response.json({ keys: [{ kty: "RSA", kid: "only-legacy", n: "n", e: "AQAB" }] }));
    h.target.handle(() => new Response("down", { status: 503 }));
    const jwks = h.router();
    const body = (await (await jwks.app.request("/.well-known/jwks.json")).json()) as { keys: { kid: string }[] };
    expect(body.keys.map((k) => k.kid)).toEqual(["only-legacy"]);
  });
});
