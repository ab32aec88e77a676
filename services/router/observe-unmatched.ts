import type { Classification, RequestKind, RoutableRequest } from "../../shared/routing/classify-request.ts";
import { candidates, type RouteDecision } from "../../shared/routing/resolve-organization.ts";
import type { UnmatchedRecord } from "./unmatched-record.ts";
import { lookupSpelling } from "../../shared/identifier-spelling.ts";

/**
 * Records what a request that found no organization carried (issue 12 §2): the SAML issuer,
 * login_hint domain, domain, connection, client_id and OIDC iss that nobody registered, with
 * the kind of request and the provider it went to. Only for requests routed by the default.
 */
/** Requests that start, carry or finish a login; anything else (assets, discovery) names nobody's IdP. */
const RECORDED_KINDS: ReadonlySet<RequestKind> = new Set(["authorize", "saml_post", "saml_redirect", "oidc_callback", "token", "userinfo", "revocation", "introspection", "hosted_login"]);

export function unmatchedObserver(record: UnmatchedRecord, now: () => number = Date.now) {
  return function observeUnmatched(req: RoutableRequest, classification: Classification, decision: RouteDecision): void {
    if (decision.signal !== "default" || !RECORDED_KINDS.has(classification.kind)) return;
    let at = 0;
    for (const candidate of candidates(req, classification, decision.saml)) {
      if (candidate.kind === "organization") continue;
      // In the spelling the API stores, so one IdP is one row and linking it clears that row.
      record.saw(candidate.kind, lookupSpelling(candidate.kind, candidate.value), classification.kind, decision.provider, (at ||= now()));
    }
  };
}
