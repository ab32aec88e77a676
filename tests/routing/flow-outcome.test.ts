import { describe, expect, test } from "bun:test";
import { classifyFlowEnd, classifyTokenAnswer, errorCode, tokenErrorWorthReading, type ProviderAnswer } from "../../shared/routing/flow-outcome.ts";

const ORIGIN = "https://auth.example.com";
const answer = (over: Partial<ProviderAnswer>): ProviderAnswer => ({ kind: "oidc_callback", samlResponse: false, status: 302, location: null, contentType: null, expectsPostPage: false, ...over });

describe("classifyFlowEnd", () => {
  test("a redirect to the application carrying a code is a success", () => {
    expect(classifyFlowEnd(answer({ location: "https://app.example.com/cb?code=abc&state=s" }), ORIGIN)).toEqual({ outcome: "succeeded" });
  });

  test("an id_token or access_token in the fragment (implicit, hybrid) is a success", () => {
    expect(classifyFlowEnd(answer({ location: "https://app.example.com/cb#id_token=x.y.z&state=s" }), ORIGIN)).toEqual({ outcome: "succeeded" });
    expect(classifyFlowEnd(answer({ kind: "authorize", location: "myapp://cb#access_token=t" }), ORIGIN)).toEqual({ outcome: "succeeded" });
  });

  test("an OAuth error redirect is a failure keeping the error code only", () => {
    const end = classifyFlowEnd(answer({ location: "https://app.example.com/cb?error=access_denied&error_description=jane%40acme.com%20is%20not%20assigned&state=s" }), ORIGIN);
    expect(end).toEqual({ outcome: "failed", code: "access_denied" });
    expect(JSON.stringify(end)).not.toContain("jane");
  });

  test("a silent request's login_required (prompt=none) ends the flow without counting as a failed login", () => {
    for (const code of ["login_required", "consent_required", "interaction_required", "account_selection_required"]) {
      expect(classifyFlowEnd(answer({ kind: "authorize", location: `https://app.example.com/cb?error=${code}&state=s` }), ORIGIN)).toEqual({ outcome: "silent_declined", code });
    }
  });

  test("an error code that is not a plain token is reduced to other (it may carry personal data)", () => {
    expect(classifyFlowEnd(answer({ location: "https://app.example.com/cb?error=jane%40acme.com" }), ORIGIN)).toEqual({ outcome: "failed", code: "other" });
    expect(errorCode("x".repeat(65))).toBe("other");
    expect(errorCode("invalid_request")).toBe("invalid_request");
  });

  test("an error wins over a code in the same redirect", () => {
    expect(classifyFlowEnd(answer({ location: "https://app.example.com/cb?code=abc#error=server_error" }), ORIGIN)).toEqual({ outcome: "failed", code: "server_error" });
  });

  test("a redirect that stays on the auth domain, or is relative, ends nothing", () => {
    expect(classifyFlowEnd(answer({ location: "https://auth.example.com/u/login?state=abc&code=1" }), ORIGIN)).toBeNull();
    expect(classifyFlowEnd(answer({ location: "/u/login?code=1" }), ORIGIN)).toBeNull();
    expect(classifyFlowEnd(answer({ location: "https://auth.example.com" }), ORIGIN)).toBeNull();
  });

  test("a redirect to the customer's IdP (no code, no error) is the flow going on", () => {
    expect(classifyFlowEnd(answer({ kind: "authorize", location: "https://idp.acme.com/sso/saml?SAMLRequest=abc&RelayState=r" }), ORIGIN)).toBeNull();
    expect(classifyFlowEnd(answer({ kind: "authorize", location: "https://login.acme.com/oauth2/authorize?response_type=code&client_id=x&redirect_uri=https%3A%2F%2Fauth.example.com%2Fcb" }), ORIGIN)).toBeNull();
  });

  test("a 4xx or 5xx answer to a callback is a failure with its status", () => {
    expect(classifyFlowEnd(answer({ status: 400, contentType: "text/html" }), ORIGIN)).toEqual({ outcome: "failed", code: "http_400" });
    expect(classifyFlowEnd(answer({ kind: "saml_post", samlResponse: true, status: 500 }), ORIGIN)).toEqual({ outcome: "failed", code: "http_500" });
  });

  test("a 4xx to a request that is not a callback (an AuthnRequest, an authorize) ends nothing", () => {
    expect(classifyFlowEnd(answer({ kind: "saml_post", samlResponse: false, status: 400 }), ORIGIN)).toBeNull();
    expect(classifyFlowEnd(answer({ kind: "authorize", status: 400 }), ORIGIN)).toBeNull();
  });

  test("a 200 HTML page on a callback is a success only when the flow asked for a POST page", () => {
    const page = answer({ kind: "saml_post", samlResponse: true, status: 200, contentType: "text/html; charset=utf-8" });
    expect(classifyFlowEnd({ ...page, expectsPostPage: true }, ORIGIN)).toEqual({ outcome: "succeeded" });
    expect(classifyFlowEnd(page, ORIGIN)).toBeNull();
    expect(classifyFlowEnd({ ...page, expectsPostPage: true, contentType: "application/json" }, ORIGIN)).toBeNull();
  });

  test("answers to token, userinfo, discovery and logout requests never end a flow", () => {
    for (const kind of ["token", "userinfo", "discovery", "logout", "saml_logout", "metadata"] as const) {
      expect(classifyFlowEnd(answer({ kind, location: "https://app.example.com/cb?code=abc" }), ORIGIN)).toBeNull();
    }
  });

  test("a malformed Location ends nothing and does not throw", () => {
    expect(classifyFlowEnd(answer({ location: "https://[::1/cb?code=1" }), ORIGIN)).toBeNull();
  });
});

describe("classifyTokenAnswer", () => {
  test("2xx is an exchange that worked; invalid_grant is told apart from other failures", () => {
    expect(classifyTokenAnswer(200, null)).toBe("token_ok");
    expect(classifyTokenAnswer(400, "invalid_grant")).toBe("token_invalid_grant");
    expect(classifyTokenAnswer(401, "invalid_client")).toBe("token_other");
    expect(classifyTokenAnswer(500, null)).toBe("token_other");
  });

  test("only small JSON 400/401 answers are read for their error member", () => {
    expect(tokenErrorWorthReading(400, "application/json; charset=utf-8")).toBe(true);
    expect(tokenErrorWorthReading(200, "application/json")).toBe(false);
    expect(tokenErrorWorthReading(400, "text/html")).toBe(false);
  });
});
