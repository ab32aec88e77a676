import { describe, expect, test } from "bun:test";
import { classifyRequest, compilePathTables, type RoutableRequest } from "../../shared/routing/classify-request.ts";
import type { Preset } from "../../shared/config.ts";
import { PRESET_SHAPES } from "../../shared/presets.ts";

const request = (method: string, target: string, form?: Record<string, string>): RoutableRequest => {
  const [path, query = ""] = target.split("?") as [string, string?];
  return { method, path, query: new URLSearchParams(query), form: form ? new URLSearchParams(form) : null, basicClientId: null };
};
const classify = (presets: Preset[], method: string, target: string, form?: Record<string, string>) =>
  classifyRequest(request(method, target, form), compilePathTables(presets));

describe("classifying requests by the configured presets' URL shapes", () => {
  test("Auth0: authorize, token, the shared /login/callback for SAML POSTs and OIDC callbacks", () => {
    expect(classify(["auth0"], "GET", "/authorize?client_id=x").kind).toBe("authorize");
    expect(classify(["auth0"], "POST", "/oauth/token", {}).kind).toBe("token");
    expect(classify(["auth0"], "POST", "/login/callback?connection=acme", { SAMLResponse: "x" })).toMatchObject({ kind: "saml_post", saml: { binding: "post" } });
    expect(classify(["auth0"], "GET", "/login/callback?code=c&state=s").kind).toBe("oidc_callback");
    expect(classify(["auth0"], "GET", "/samlp/metadata").kind).toBe("metadata");
  });

  test("revocation, introspection and OIDC logout endpoints are their own kinds; a SAML logout message stays SAML", () => {
    expect(classify(["auth0"], "POST", "/oauth/revoke", { token: "t" }).kind).toBe("revocation");
    expect(classify(["cognito"], "POST", "/oauth2/revoke", { token: "t" }).kind).toBe("revocation");
    expect(classify(["okta"], "POST", "/oauth2/v1/introspect", { token: "t" }).kind).toBe("introspection");
    expect(classify(["generic"], "POST", "/token/revocation", { token: "t" }).kind).toBe("revocation");
    expect(classify(["generic"], "POST", "/token/introspection", { token: "t" }).kind).toBe("introspection");
    expect(classify(["generic"], "GET", "/session/end?id_token_hint=x").kind).toBe("logout");
    expect(classify(["auth0"], "GET", "/oidc/logout?id_token_hint=x").kind).toBe("logout");
    expect(classify(["generic"], "GET", "/logout?SAMLRequest=x").kind).toBe("saml_redirect");
    expect(classify(["auth0"], "GET", "/logout?SAMLRequest=x").kind).toBe("saml_logout");
  });

  test("Scalekit and WorkOS name the connection in the path", () => {
    expect(classify(["scalekit"], "POST", "/sso/v1/saml/conn_123/callback", { SAMLResponse: "x" })).toMatchObject({ kind: "saml_post", pathConnection: "conn_123" });
    expect(classify(["scalekit"], "GET", "/sso/v1/oidc/conn_9/callback?code=c")).toMatchObject({ kind: "oidc_callback", pathConnection: "conn_9" });
    expect(classify(["workos"], "POST", "/sso/saml/acs/conn_01H", { SAMLResponse: "x" })).toMatchObject({ pathConnection: "conn_01H" });
    expect(classify(["scalekit"], "POST", "/sso/v1/saml/a/b/callback", { SAMLResponse: "x" }).pathConnection).toBeNull();
  });

  test("Okta and Cognito shapes", () => {
    expect(classify(["okta"], "POST", "/sso/saml2/0oa1b2c3", { SAMLResponse: "x" })).toMatchObject({ kind: "saml_post", pathConnection: "0oa1b2c3" });
    expect(classify(["cognito"], "POST", "/saml2/idpresponse", { SAMLResponse: "x" }).kind).toBe("saml_post");
    expect(classify(["cognito"], "GET", "/oauth2/idpresponse?code=c&state=s").kind).toBe("oidc_callback");
    expect(classify(["cognito"], "GET", "/oauth2/authorize?identity_provider=acme").kind).toBe("authorize");
  });

  test("SAML messages are recognised wherever they arrive; logout by path", () => {
    expect(classify(["firebase"], "POST", "/__/auth/handler", { SAMLResponse: "x" }).kind).toBe("saml_post");
    expect(classify(["generic"], "GET", "/anything?SAMLRequest=abc")).toMatchObject({ kind: "saml_redirect", saml: { value: "abc", binding: "redirect" } });
    expect(classify(["cognito"], "GET", "/saml2/logout?SAMLRequest=abc").kind).toBe("saml_logout");
  });

  test("the union of both providers' shapes applies during a migration", () => {
    const both: Preset[] = ["auth0", "scalekit"];
    expect(classify(both, "GET", "/authorize").kind).toBe("authorize");
    expect(classify(both, "GET", "/oauth/authorize").kind).toBe("authorize");
    expect(classify(both, "GET", "/.well-known/jwks.json").kind).toBe("jwks");
    expect(classify(both, "GET", "/.well-known/openid-configuration").kind).toBe("discovery");
    expect(classify(both, "GET", "/favicon.ico").kind).toBe("other");
  });
});

/**
 * Every endpoint of every preset, written out by hand: one row per path the preset lists (a
 * `:connection` segment filled in, a `/*` prefix given a page), with the request a client sends
 * there and the kind the router must see. The last test fails when a preset gains a path that
 * has no row here.
 */
type Row = [method: string, target: string, form: Record<string, string> | undefined, kind: string, connection?: string];
const SAML_POST = { SAMLResponse: "x" };
const CODE_GRANT = { grant_type: "authorization_code", code: "c" };
const TOKEN = { token: "t" };

const ENDPOINTS: Record<Preset, Row[]> = {
  auth0: [
    ["GET", "/authorize?client_id=app", undefined, "authorize"],
    ["POST", "/oauth/token", CODE_GRANT, "token"],
    ["POST", "/login/callback?connection=acme", SAML_POST, "saml_post"],
    ["GET", "/login/callback?code=c&state=s", undefined, "oidc_callback"],
    ["GET", "/logout?SAMLRequest=x", undefined, "saml_logout"],
    ["GET", "/userinfo", undefined, "userinfo"],
    ["GET", "/samlp/metadata?connection=acme", undefined, "metadata"],
    ["GET", "/.well-known/jwks.json", undefined, "jwks"],
    ["POST", "/oauth/revoke", TOKEN, "revocation"],
    ["GET", "/oidc/logout?id_token_hint=x", undefined, "logout"],
    ["GET", "/v2/logout?client_id=app", undefined, "logout"],
    ["GET", "/u/login/identifier?state=s", undefined, "hosted_login"],
    ["GET", "/login?state=s", undefined, "hosted_login"],
    ["POST", "/usernamepassword/login", { username: "u" }, "hosted_login"],
    ["POST", "/co/authenticate", undefined, "hosted_login"],
    ["GET", "/continue?state=s", undefined, "hosted_login"],
    ["GET", "/.well-known/openid-configuration", undefined, "discovery"],
  ],
  cognito: [
    ["GET", "/oauth2/authorize?identity_provider=acme", undefined, "authorize"],
    ["POST", "/oauth2/token", CODE_GRANT, "token"],
    ["POST", "/saml2/idpresponse", SAML_POST, "saml_post"],
    ["GET", "/oauth2/idpresponse?code=c&state=s", undefined, "oidc_callback"],
    ["POST", "/saml2/logout", { SAMLRequest: "x" }, "saml_logout"],
    ["GET", "/oauth2/userInfo", undefined, "userinfo"],
    ["GET", "/.well-known/jwks.json", undefined, "jwks"],
    ["POST", "/oauth2/revoke", TOKEN, "revocation"],
    ["GET", "/logout?client_id=app&logout_uri=x", undefined, "logout"],
    ["GET", "/login?client_id=app", undefined, "hosted_login"],
    ["GET", "/signup?client_id=app", undefined, "hosted_login"],
    ["GET", "/confirmUser?client_id=app", undefined, "hosted_login"],
    ["GET", "/forgotPassword?client_id=app", undefined, "hosted_login"],
    ["GET", "/confirmforgotPassword?client_id=app", undefined, "hosted_login"],
    ["GET", "/passkeys/add?client_id=app", undefined, "hosted_login"],
    ["GET", "/.well-known/openid-configuration", undefined, "discovery"],
  ],
  firebase: [
    ["POST", "/__/auth/handler", SAML_POST, "saml_post"],
    ["GET", "/__/auth/handler?code=c&state=s", undefined, "oidc_callback"],
    ["GET", "/__/auth/iframe?apiKey=k", undefined, "hosted_login"],
    ["GET", "/__/auth/action?mode=resetPassword", undefined, "hosted_login"],
    ["GET", "/__/auth/links?link=x", undefined, "hosted_login"],
  ],
  workos: [
    ["GET", "/sso/authorize?organization=org_1", undefined, "authorize"],
    ["GET", "/user_management/authorize?provider=authkit", undefined, "authorize"],
    ["POST", "/sso/token", CODE_GRANT, "token"],
    ["POST", "/user_management/authenticate", undefined, "token"],
    ["POST", "/sso/saml/acs/conn_01H", SAML_POST, "saml_post", "conn_01H"],
    ["GET", "/sso/oidc/callback/conn_02?code=c", undefined, "oidc_callback", "conn_02"],
    ["POST", "/sso/saml/slo/conn_03", { SAMLResponse: "x" }, "saml_logout", "conn_03"],
    ["GET", "/sso/profile", undefined, "userinfo"],
    ["GET", "/sso/saml/metadata/conn_04", undefined, "metadata", "conn_04"],
    ["GET", "/sso/logout?token=t", undefined, "logout"],
    ["GET", "/user_management/sessions/logout?session_id=s", undefined, "logout"],
    ["GET", "/sso/jwks/client_123", undefined, "provider_jwks"],
  ],
  scalekit: [
    ["GET", "/oauth/authorize?organization_id=org_1", undefined, "authorize"],
    ["POST", "/oauth/token", CODE_GRANT, "token"],
    ["POST", "/sso/v1/saml/conn_123/callback", SAML_POST, "saml_post", "conn_123"],
    ["GET", "/sso/v1/oidc/conn_9/callback?code=c", undefined, "oidc_callback", "conn_9"],
    ["GET", "/sso/v1/saml/conn_5/logout?SAMLRequest=x", undefined, "saml_logout", "conn_5"],
    ["GET", "/userinfo", undefined, "userinfo"],
    ["GET", "/sso/v1/saml/conn_6/metadata", undefined, "metadata", "conn_6"],
    ["GET", "/keys", undefined, "provider_jwks"],
    ["POST", "/oauth/revoke", TOKEN, "revocation"],
    ["POST", "/oauth/introspect", TOKEN, "introspection"],
    ["GET", "/oidc/logout?id_token_hint=x", undefined, "logout"],
    ["GET", "/.well-known/openid-configuration", undefined, "discovery"],
  ],
  okta: [
    ["GET", "/oauth2/v1/authorize?idp=0oa1", undefined, "authorize"],
    ["GET", "/oauth2/default/v1/authorize?idp=0oa1", undefined, "authorize"],
    ["POST", "/oauth2/v1/token", CODE_GRANT, "token"],
    ["POST", "/oauth2/default/v1/token", CODE_GRANT, "token"],
    ["POST", "/sso/saml2/0oa1b2c3", SAML_POST, "saml_post", "0oa1b2c3"],
    ["GET", "/oauth2/v1/authorize/callback?code=c&state=s", undefined, "oidc_callback"],
    ["GET", "/oauth2/v1/userinfo", undefined, "userinfo"],
    ["GET", "/oauth2/default/v1/userinfo", undefined, "userinfo"],
    ["GET", "/oauth2/v1/keys", undefined, "provider_jwks"],
    ["GET", "/oauth2/default/v1/keys", undefined, "provider_jwks"],
    ["POST", "/oauth2/v1/revoke", TOKEN, "revocation"],
    ["POST", "/oauth2/default/v1/revoke", TOKEN, "revocation"],
    ["POST", "/oauth2/v1/introspect", TOKEN, "introspection"],
    ["POST", "/oauth2/default/v1/introspect", TOKEN, "introspection"],
    ["GET", "/oauth2/v1/logout?id_token_hint=x", undefined, "logout"],
    ["GET", "/oauth2/default/v1/logout?id_token_hint=x", undefined, "logout"],
    ["GET", "/login/login.htm", undefined, "hosted_login"],
    ["GET", "/signin/verify/okta/push", undefined, "hosted_login"],
    ["POST", "/idp/idx/identify", undefined, "hosted_login"],
    ["GET", "/.well-known/openid-configuration", undefined, "discovery"],
    ["GET", "/oauth2/default/.well-known/openid-configuration", undefined, "discovery"],
    ["GET", "/.well-known/oauth-authorization-server", undefined, "discovery"],
    ["GET", "/oauth2/default/.well-known/oauth-authorization-server", undefined, "discovery"],
  ],
  generic: [
    ["GET", "/authorize?client_id=app", undefined, "authorize"],
    ["GET", "/oauth/authorize?client_id=app", undefined, "authorize"],
    ["GET", "/oauth2/authorize?client_id=app", undefined, "authorize"],
    ["GET", "/auth?client_id=app", undefined, "authorize"],
    ["POST", "/token", CODE_GRANT, "token"],
    ["POST", "/oauth/token", CODE_GRANT, "token"],
    ["POST", "/oauth2/token", CODE_GRANT, "token"],
    ["GET", "/callback?code=c", undefined, "oidc_callback"],
    ["GET", "/userinfo", undefined, "userinfo"],
    ["GET", "/me", undefined, "userinfo"],
    ["GET", "/.well-known/jwks.json", undefined, "jwks"],
    ["GET", "/jwks", undefined, "provider_jwks"],
    ["POST", "/revoke", TOKEN, "revocation"],
    ["POST", "/oauth/revoke", TOKEN, "revocation"],
    ["POST", "/oauth2/revoke", TOKEN, "revocation"],
    ["POST", "/token/revocation", TOKEN, "revocation"],
    ["POST", "/introspect", TOKEN, "introspection"],
    ["POST", "/oauth/introspect", TOKEN, "introspection"],
    ["POST", "/oauth2/introspect", TOKEN, "introspection"],
    ["POST", "/token/introspection", TOKEN, "introspection"],
    ["GET", "/logout?id_token_hint=x", undefined, "logout"],
    ["GET", "/oidc/logout?id_token_hint=x", undefined, "logout"],
    ["GET", "/session/end?id_token_hint=x", undefined, "logout"],
    ["GET", "/end_session?id_token_hint=x", undefined, "logout"],
    ["GET", "/.well-known/openid-configuration", undefined, "discovery"],
    ["GET", "/.well-known/oauth-authorization-server", undefined, "discovery"],
  ],
};

describe("every endpoint of every preset", () => {
  for (const preset of Object.keys(ENDPOINTS) as Preset[]) {
    test(`${preset}: each endpoint is classified as what it is`, () => {
      const seen = ENDPOINTS[preset].map(([method, target, form, , connection]) => {
        const c = classify([preset], method, target, form);
        return [method, target, c.kind, c.pathConnection ?? undefined];
      });
      expect(seen).toEqual(ENDPOINTS[preset].map(([method, target, , kind, connection]) => [method, target, kind, connection]));
    });

    test(`${preset}: every path the preset lists has a row above`, () => {
      const shape = PRESET_SHAPES[preset];
      const listed = [...Object.values(shape).flatMap((v) => (v === null ? [] : Array.isArray(v) ? v : [v]))];
      const rowPaths = ENDPOINTS[preset].map(([, target]) => target.split("?")[0]!);
      const covered = (pattern: string) =>
        rowPaths.some((path) =>
          pattern.endsWith("/*")
            ? path.startsWith(pattern.slice(0, -1)) && path.length > pattern.length - 1
            : pattern.includes(":connection")
              ? new RegExp(`^${pattern.replace(":connection", "[^/]+")}$`).test(path)
              : path === pattern,
        );
      expect(listed.filter((pattern) => !covered(pattern))).toEqual([]);
    });
  }

  test("a path that is one provider's SAML SLO and another's browser logout: SAML messages go to SAML logout, browsers to logout", () => {
    expect(classify(["auth0", "cognito"], "GET", "/logout?client_id=app").kind).toBe("logout");
    expect(classify(["auth0", "cognito"], "POST", "/logout", { SAMLResponse: "x" }).kind).toBe("saml_logout");
    expect(classify(["auth0"], "GET", "/logout?SAMLRequest=x").kind).toBe("saml_logout");
  });

  test("revocation, introspection and logout were 'other' for every preset before (the credential routes need them)", () => {
    expect(classify(["okta"], "POST", "/oauth2/v1/revoke", TOKEN).kind).toBe("revocation");
    expect(classify(["auth0"], "POST", "/oauth/revoke", TOKEN).kind).toBe("revocation");
    expect(classify(["cognito"], "GET", "/logout").kind).toBe("logout");
  });

  test("a /* prefix needs a page after it, and other paths stay other", () => {
    expect(classify(["auth0"], "GET", "/u/").kind).toBe("other");
    expect(classify(["auth0"], "GET", "/ufoo").kind).toBe("other");
    expect(classify(["workos"], "GET", "/sso/jwks/").kind).toBe("other");
  });
});
