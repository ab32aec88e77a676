import type { ProviderConfig } from "../../shared/config.ts";
import type { RouteDecision } from "../../shared/routing/resolve-organization.ts";
import type { Forwarder, OutgoingRequest } from "./forward.ts";

/**
 * Where a token request goes. `client_credentials`, and any request whose client_id (or other
 * signal) names an organization, go to that organization's provider.
 *
 * A code exchange or a refresh carries no organization: the app uses one client for every
 * customer. The code was issued by exactly one provider, and another provider that does not
 * know it answers `invalid_grant` (RFC 6749 §5.2) without doing anything, so the request is
 * tried on each provider in turn, the default first, and the first answer that is not "I never
 * issued this" is returned. Chosen over the alternatives because it keeps the router stateless
 * and every byte unchanged: sharing code→provider state would put writes on the request path,
 * and tagging codes would rewrite provider-issued values in redirects and token responses.
 * The cost is one extra round trip for codes from the non-default provider.
 */
export async function forwardTokenRequest(
  decision: RouteDecision,
  request: OutgoingRequest,
  form: URLSearchParams | null,
  providers: readonly ProviderConfig[],
  forward: Forwarder,
): Promise<{ response: Response; provider: ProviderConfig; tried: number }> {
  const first = providers.find((p) => p.id === decision.provider)!;
  const grant = form?.get("grant_type");
  if (decision.organizationId !== null || grant === "client_credentials" || (grant !== "authorization_code" && grant !== "refresh_token")) {
    return { response: await forward(first, request), provider: first, tried: 1 };
  }
  const order = [first, ...providers.filter((p) => p !== first)];
  for (let i = 0; i < order.length; i++) {
    const provider = order[i]!;
    const response = await forward(provider, request);
    if (i === order.length - 1) return { response, provider, tried: i + 1 };
    const unknownGrant = await neverIssued(response);
    if (unknownGrant === null) return { response, provider, tried: i + 1 };
    // That provider never issued this grant: ask the next one.
  }
  throw new Error("unreachable: the last provider always answers");
}

/**
 * Null when the answer must go back to the client as it is. Only a 400/401 JSON error saying
 * invalid_grant (or invalid_client: this provider does not know the client) is read, and such a
 * response is small; anything else is returned untouched.
 */
async function neverIssued(response: Response): Promise<true | null> {
  if (response.status !== 400 && response.status !== 401) return null;
  if (!(response.headers.get("content-type") ?? "").includes("json")) return null;
  const text = await response.clone().text();
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    if (error === "invalid_grant" || error === "invalid_client") {
      await response.body?.cancel();
      return true;
    }
  } catch {
    // Not JSON after all: return it as it is.
  }
  return null;
}
