import { describe, expect, test } from "bun:test";
import { classifyRequest, compilePathTables, type RoutableRequest } from "../../shared/routing/classify-request.ts";
import type { Preset } from "../../shared/config.ts";

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
