import type { RequestKind } from "./classify-request.ts";

/**
 * How a login flow ended, read from the provider's answer alone (issue 12). Only the OAuth
 * `error` code is ever kept: never a code, token, assertion or `error_description`.
 */
export type FlowEnd = { outcome: "succeeded" } | { outcome: "failed"; code: string } | { outcome: "silent_declined"; code: string };

/**
 * The answers a provider must give to a silent request (`prompt=none`, OpenID Connect Core
 * §3.1.2.6) when the user has to interact: an application checking for a session gets them
 * routinely. They end the flow, but they are not failed logins (the guard must not act on them).
 */
const SILENT_DECLINES: ReadonlySet<string> = new Set(["login_required", "consent_required", "interaction_required", "account_selection_required"]);

/** What the router knows about one provider answer, without reading its body. */
export type ProviderAnswer = {
  kind: RequestKind;
  /** The request carried a SAML Response (an IdP answering at the ACS), not an AuthnRequest. */
  samlResponse: boolean;
  status: number;
  /** The Location header as the browser gets it (already mapped to the public auth domain). */
  location: string | null;
  contentType: string | null;
  /** The flow's start asked for its answer as a POST page (response_mode=form_post, or a SAML AuthnRequest). */
  expectsPostPage: boolean;
};

/** Kinds whose answer can end a flow: the starts (a provider session may answer at once) and the callbacks. */
const ENDING_KINDS: ReadonlySet<RequestKind> = new Set(["authorize", "oidc_callback", "saml_post", "saml_redirect", "hosted_login", "other"]);
const CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const ENDING_PARAM = /[?&#](?:code|id_token|access_token|error)=/;

/**
 * - A redirect off the auth domain carrying `code`, `id_token` or `access_token` (query or
 *   fragment): the browser goes back to the application signed in — success.
 * - One carrying `error=`: an OAuth error redirect — failure with that code.
 * - On a callback (an OIDC callback, a SAML Response at the ACS): a 4xx/5xx is a failure
 *   (`http_<status>`); a 200 HTML page is the POST page back to the application (form_post or
 *   SAML POST binding) only when the flow's start asked for one. Any other 200 page (an error
 *   page served with 200, a login form) ends nothing here: a flow that never ends is abandoned.
 * Everything else: null (the flow goes on, or the answer is not part of a flow).
 */
export function classifyFlowEnd(answer: ProviderAnswer, publicOrigin: string): FlowEnd | null {
  if (!ENDING_KINDS.has(answer.kind)) return null;
  const callback = isCallback(answer.kind, answer.samlResponse);
  if (answer.status >= 300 && answer.status < 400) return answer.location ? redirectEnd(answer.location, publicOrigin) : null;
  if (!callback) return null;
  if (answer.status >= 400) return { outcome: "failed", code: `http_${answer.status}` };
  if (answer.status === 200 && answer.expectsPostPage && (answer.contentType ?? "").toLowerCase().startsWith("text/html")) return { outcome: "succeeded" };
  return null;
}

/** The IdP answering: an OIDC callback, or a SAML Response at the ACS. */
export function isCallback(kind: RequestKind, samlResponse: boolean): boolean {
  return kind === "oidc_callback" || (kind === "saml_post" && samlResponse);
}

function redirectEnd(location: string, publicOrigin: string): FlowEnd | null {
  // Relative, or on the auth domain: the flow continues through the router.
  if (!/^[a-z][a-z0-9+.-]*:/i.test(location) || location.startsWith(publicOrigin + "/") || location === publicOrigin) return null;
  // Most redirects off the domain go to the customer's IdP: skip parsing when no parameter that could end a flow is there.
  if (!ENDING_PARAM.test(location)) return null;
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return null;
  }
  if (url.origin === publicOrigin) return null;
  const params = [url.searchParams];
  if (url.hash.length > 1) params.push(new URLSearchParams(url.hash.slice(1)));
  for (const p of params) {
    const error = p.get("error");
    if (error !== null) return SILENT_DECLINES.has(error) ? { outcome: "silent_declined", code: error } : { outcome: "failed", code: errorCode(error) };
  }
  for (const p of params) if (p.has("code") || p.has("id_token") || p.has("access_token")) return { outcome: "succeeded" };
  return null;
}

/** Error codes are a closed vocabulary in RFC 6749; anything else is reduced to "other" (it may carry personal data). */
export function errorCode(value: string): string {
  return CODE.test(value) ? value : "other";
}

export type TokenOutcome = "token_ok" | "token_invalid_grant" | "token_other";

/**
 * Token endpoint answers, counted apart from flows: 2xx is an exchange that worked; a 400/401
 * whose JSON `error` is `invalid_grant` (a code replayed, expired, or sent to the wrong issuer)
 * is told apart from every other failure. `errorField` is the parsed `error` member, when read.
 */
export function classifyTokenAnswer(status: number, errorField: string | null): TokenOutcome {
  if (status >= 200 && status < 300) return "token_ok";
  return errorField === "invalid_grant" ? "token_invalid_grant" : "token_other";
}

/** Only small JSON error answers are worth reading for their `error` member. */
export function tokenErrorWorthReading(status: number, contentType: string | null): boolean {
  return (status === 400 || status === 401) && (contentType ?? "").toLowerCase().includes("json");
}
