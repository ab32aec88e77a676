import { decodeProtectedHeader } from "jose";
import type { Config, ProviderConfig } from "../../shared/config.ts";
import { CodedError } from "../../shared/errors.ts";
import type { RequestKind } from "../../shared/routing/classify-request.ts";
import type { RouteDecision } from "../../shared/routing/resolve-organization.ts";
import { credentialHash, type CredentialKind, type CredentialRecord } from "../bus/credential-record.ts";
import type { Forwarder, OutgoingRequest } from "./forward.ts";
import { learnFromAnswer, looksLikeJwt } from "./learn-credentials.ts";
import type { MergedJwks } from "./merged-jwks.ts";
import type { ReceivedRequest } from "./read-request.ts";
import { cookieValue } from "./pin-cookie.ts";
import { withinMs } from "../../shared/within-ms.ts";

/**
 * Credentials go only to the provider that issued them. Every credential issued since the proxy
 * went live passed through a router, which recorded `sha256(credential) → provider` from the
 * provider's own answer (learn-credentials.ts); everything older is the legacy provider's. So a
 * code exchange, a refresh, userinfo, revocation and introspection go to the issuer found in the
 * record; JWTs (access tokens, `id_token_hint`) to the provider whose key signed them, by `kid`,
 * without a lookup. What the record does not know follows `credentials.unknownCredentials`:
 * `default` (it predates the proxy) or `try-each` (for deployments that started mid-migration).
 */
export type CredentialRoute =
  | "kid"
  | "learned"
  | "session_marker"
  | "organization"
  | "unknown_default"
  | "unknown_try_each"
  | "record_unavailable";

export const SESSION_MARKER_COOKIE = "__Host-ssomig-session";

export type CredentialStats = {
  record: CredentialRecord["kind"];
  available: boolean;
  lookups: Record<"learned" | "unknown" | "failed", number>;
  learned: Record<CredentialKind, number>;
  /** Learned but not written to the shared record (it was unreachable). */
  notShared: number;
};

export type CredentialRouting = {
  /** Forwards `request`, choosing the provider by the credential it carries; learns from every answer. */
  send(kind: RequestKind, decision: RouteDecision, provider: ProviderConfig, req: ReceivedRequest, outgoing: OutgoingRequest): Promise<{ response: Response; provider: ProviderConfig; route: CredentialRoute | null }>;
  stats(): CredentialStats;
};

type Carried = { value: string; kinds: readonly CredentialKind[] } | { kid: string } | null;

export function credentialRouting(deps: { config: Config; record: CredentialRecord; jwks: MergedJwks; forward: Forwarder; onRecordError?: (error: unknown) => void }): CredentialRouting {
  const { config, record, forward } = deps;
  const settings = config.credentials;
  const byId = new Map(config.providers.map((p) => [p.id, p]));
  const stats: CredentialStats = { record: record.kind, available: true, lookups: { learned: 0, unknown: 0, failed: 0 }, learned: { code: 0, access_token: 0, refresh_token: 0 }, notShared: 0 };
  // An outage fails every lookup: one warning per interval, the counts are in /metrics.
  let warnedAt = -Infinity;
  const recordError = (error: unknown) => {
    const now = performance.now();
    if (now - warnedAt < 30_000) return;
    warnedAt = now;
    deps.onRecordError?.(error);
  };

  async function issuerOf(value: string, kinds: readonly CredentialKind[]): Promise<string | null | "failed"> {
    // Asked even when unavailable: a record remembers what this router learned itself.
    if (record.kind === "in-process") {
      // A map in this process cannot hang: no timer on the request path.
      const found = await record.issuerOf(await credentialHash(value), kinds);
      stats.lookups[found === null ? "unknown" : "learned"]++;
      return found;
    }
    const lookup = credentialHash(value).then((hash) => record.issuerOf(hash, kinds));
    const found = await withinMs(settings.lookupTimeoutMs, lookup, () => new Error("credential record lookup timed out")).catch((error: unknown) => (recordError(error), "failed" as const));
    if (found === "failed") stats.lookups.failed++;
    else if (found === null) stats.lookups.unknown++;
    else stats.lookups.learned++;
    return found;
  }

  /** Records what `provider` issued; waits at most the lookup timeout, never fails the answer. */
  function learnerFor(provider: ProviderConfig) {
    return async (kind: CredentialKind, value: string) => {
      stats.learned[kind]++;
      const write = credentialHash(value).then((hash) => record.remember(kind, hash, provider.id));
      try {
        await withinMs(settings.lookupTimeoutMs, write, () => new Error("credential record write timed out"));
      } catch (error) {
        stats.notShared++;
        recordError(error);
      }
    };
  }

  async function choose(kind: RequestKind, decision: RouteDecision, provider: ProviderConfig, req: ReceivedRequest, headers: Headers): Promise<{ provider: ProviderConfig | "try-each"; route: CredentialRoute | null }> {
    // An operator's route token decides only what no credential decides: a code or token goes to
    // its issuer even on forced traffic, or forcing a flow would hand one provider another's credentials.
    const forced = decision.signal === "force_route";
    const carried = credentialIn(kind, req, headers);
    if (carried === null) {
      if (kind !== "logout" || forced) return { provider, route: null };
      const marked = byId.get(cookieValue(headers.get("cookie"), SESSION_MARKER_COOKIE) ?? "");
      return marked ? { provider: marked, route: "session_marker" } : { provider, route: null };
    }
    if ("kid" in carried) {
      const signer = byId.get((await deps.jwks.providerOfKey(carried.kid)) ?? "");
      if (signer) return { provider: signer, route: "kid" };
      return forced ? { provider, route: null } : unknown(decision, provider, "unknown_default");
    }
    const issuer = await issuerOf(carried.value, carried.kinds);
    const known = issuer !== null && issuer !== "failed" ? byId.get(issuer) : undefined;
    if (known) return { provider: known, route: "learned" };
    if (forced) return { provider, route: null };
    return unknown(decision, provider, issuer === "failed" ? "record_unavailable" : "unknown_default");
  }

  function unknown(decision: RouteDecision, provider: ProviderConfig, route: CredentialRoute): { provider: ProviderConfig | "try-each"; route: CredentialRoute } {
    // A request naming its organization (an M2M client_id, say) goes where that organization is.
    if (decision.organizationId !== null) return { provider, route: "organization" };
    if (settings.unknownCredentials === "try-each") return { provider: "try-each", route: "unknown_try_each" };
    return { provider, route };
  }

  return {
    async send(kind, decision, provider, req, outgoing) {
      const chosen = await choose(kind, decision, provider, req, outgoing.headers);
      const answer =
        chosen.provider === "try-each"
          ? await tryEach(kind, provider, outgoing, config.providers, forward)
          : { response: await forward(chosen.provider, outgoing), provider: chosen.provider };
      const learned = await learnFromAnswer(kind, answer.response, learnerFor(answer.provider));
      if (learned.loginCompleted) learned.response.headers.append("set-cookie", sessionMarker(answer.provider.id, settings.sessionMarkerSeconds));
      return { response: learned.response, provider: answer.provider, route: chosen.route };
    },
    stats: () => ({ ...stats, available: record.available(), lookups: { ...stats.lookups }, learned: { ...stats.learned } }),
  };
}

/** Which provider the browser last completed a login with: routes an OIDC logout that has no id_token_hint. */
function sessionMarker(provider: string, seconds: number): string {
  return `${SESSION_MARKER_COOKIE}=${provider}; Path=/; Max-Age=${seconds}; SameSite=Lax; Secure; HttpOnly`;
}

/** The credential a request carries, by the kind of endpoint; null when it carries none (client_credentials...). */
function credentialIn(kind: RequestKind, req: ReceivedRequest, headers: Headers): Carried {
  const form = req.form;
  switch (kind) {
    case "token": {
      const grant = form?.get("grant_type");
      if (grant === "authorization_code") return opaqueOrJwt(form?.get("code"), ["code"]);
      if (grant === "refresh_token") return opaqueOrJwt(form?.get("refresh_token"), ["refresh_token"]);
      return null;
    }
    case "userinfo": {
      const bearer = /^Bearer\s+(\S+)$/i.exec(headers.get("authorization") ?? "")?.[1];
      return opaqueOrJwt(bearer ?? form?.get("access_token") ?? req.query.get("access_token"), ["access_token"]);
    }
    case "revocation":
    case "introspection":
      return opaqueOrJwt(form?.get("token"), ["access_token", "refresh_token"]);
    case "logout": {
      const hint = req.query.get("id_token_hint") ?? form?.get("id_token_hint");
      const kid = hint ? kidOf(hint) : null;
      return kid ? { kid } : null;
    }
    default:
      return null;
  }
}

function opaqueOrJwt(value: string | null | undefined, kinds: readonly CredentialKind[]): Carried {
  if (!value) return null;
  const kid = looksLikeJwt(value) ? kidOf(value) : null;
  return kid ? { kid } : { value, kinds };
}

function kidOf(jwt: string): string | null {
  try {
    const { kid } = decodeProtectedHeader(jwt);
    return typeof kid === "string" && kid ? kid : null;
  } catch {
    return null;
  }
}

/**
 * Today's behaviour, kept for deployments that started mid-migration: the default first, then
 * the others, until one does not answer "I never issued this" (`invalid_grant` at the token
 * endpoint, RFC 6749 §5.2; `invalid_token` at userinfo, RFC 6750 §3.1). A provider that is down
 * or silent is skipped, not fatal.
 */
async function tryEach(kind: RequestKind, first: ProviderConfig, request: OutgoingRequest, providers: readonly ProviderConfig[], forward: Forwarder): Promise<{ response: Response; provider: ProviderConfig }> {
  const order = [first, ...providers.filter((p) => p !== first)];
  for (let i = 0; ; i++) {
    const provider = order[i]!;
    const last = i === order.length - 1;
    let response: Response;
    try {
      response = await forward(provider, request);
    } catch (error) {
      if (!last && error instanceof CodedError && (error.code === "upstream_timeout" || error.code === "upstream_unreachable")) continue;
      throw error;
    }
    if (last || !(await neverIssued(kind, response))) return { response, provider };
    await response.body?.cancel();
  }
}

/** Only small error answers are read; anything else goes back untouched. */
async function neverIssued(kind: RequestKind, response: Response): Promise<boolean> {
  if (kind === "userinfo") return response.status === 401 && /invalid_token/.test(response.headers.get("www-authenticate") ?? "");
  if (kind === "introspection") return false; // `{"active":false}` is an answer for either provider
  if (response.status !== 400 && response.status !== 401) return false;
  if (!(response.headers.get("content-type") ?? "").includes("json")) return false;
  try {
    const error = ((await response.clone().json()) as { error?: unknown }).error;
    return error === "invalid_grant" || error === "invalid_client";
  } catch {
    return false;
  }
}
