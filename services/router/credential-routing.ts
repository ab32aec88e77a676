import type { ProviderConfig } from "../../shared/config.ts";
import type { RouteDecision } from "../../shared/routing/resolve-organization.ts";
import type { Forwarder, OutgoingRequest } from "./forward.ts";
import type { Fields } from "../../shared/routing/form-fields.ts";

/**
 * Requests that carry nothing but a credential a provider issued: a code exchange or refresh at
 * the token endpoint, a bearer token at userinfo. The app uses one client for every customer, so
 * no organization is named; the credential was issued by exactly one provider, and another
 * provider that does not know it says so without doing anything (`invalid_grant` at the token
 * endpoint, RFC 6749 §5.2; `invalid_token` at userinfo, RFC 6750 §3.1). So the request is tried
 * on each provider in turn, the default first, and the first answer that is not "I never issued
 * this" goes back to the client.
 *
 * Chosen over the alternatives because it keeps the router stateless and every byte unchanged:
 * sharing credential→provider state would put writes on the request path, and tagging codes
 * would rewrite provider-issued values in redirects and token responses. The cost is one extra
 * round trip for credentials from the non-default provider.
 */
export type CredentialKind = "token" | "userinfo";

export async function forwardByCredential(
  kind: CredentialKind,
  decision: RouteDecision,
  request: OutgoingRequest,
  form: Fields | null,
  providers: readonly ProviderConfig[],
  forward: Forwarder,
): Promise<{ response: Response; provider: ProviderConfig }> {
  const first = providers.find((p) => p.id === decision.provider)!;
  if (!carriesOnlyACredential(kind, decision, form)) return { response: await forward(first, request), provider: first };
  const order = [first, ...providers.filter((p) => p !== first)];
  for (let i = 0; ; i++) {
    const provider = order[i]!;
    const response = await forward(provider, request);
    if (i === order.length - 1 || !(await neverIssued(kind, response))) return { response, provider };
    await response.body?.cancel();
  }
}

/** `client_credentials`, or any request whose signals name an organization, goes to that organization's provider. */
function carriesOnlyACredential(kind: CredentialKind, decision: RouteDecision, form: Fields | null): boolean {
  if (decision.organizationId !== null) return false;
  if (kind === "userinfo") return true;
  const grant = form?.get("grant_type");
  return grant === "authorization_code" || grant === "refresh_token";
}

/** Only small error answers are read; anything else goes back untouched. */
async function neverIssued(kind: CredentialKind, response: Response): Promise<boolean> {
  if (kind === "userinfo") return response.status === 401 && /invalid_token/.test(response.headers.get("www-authenticate") ?? "");
  if (response.status !== 400 && response.status !== 401) return false;
  if (!(response.headers.get("content-type") ?? "").includes("json")) return false;
  try {
    const error = ((await response.clone().json()) as { error?: unknown }).error;
    return error === "invalid_grant" || error === "invalid_client";
  } catch {
    return false;
  }
}
