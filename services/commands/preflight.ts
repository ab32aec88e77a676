import type { ProviderConfig } from "../../shared/config.ts";
import { CodedError } from "../../shared/errors.ts";
import type { PreflightCheck } from "../../shared/events.ts";
import type { Identifier } from "../../shared/identifiers.ts";
import { PRESET_SHAPES } from "../../shared/presets.ts";
import { errorCode } from "../../shared/routing/flow-outcome.ts";
import type { Forwarder } from "../router/forward.ts";
import { redirectAuthnRequest } from "./saml-authn-request.ts";

export type Preflight = (providerId: string, identifiers: readonly Identifier[]) => Promise<PreflightCheck[]>;

/** Half the default DATABASE_TIMEOUT_MS: what `loadSettings` derives from it. */
const DEFAULT_BUDGET_MS = 5000;

/**
 * Asks a provider, through the router's own forwarding path, whether it is ready for an
 * organization (issue 12 §3): for each identifier that can start a flow (a connection, an email
 * domain), the authorize request its users' browsers would send after the migration, or for a
 * connection, when the provider takes SAML from the application (`preflight.saml`), the
 * AuthnRequest the application would send. Ready means
 * the provider sends the browser on to an external IdP; an error redirect, an error status, or a
 * page of its own (no connection found for that domain) is not ready.
 */
export function preflightProbe(options: { providers: readonly ProviderConfig[]; forward: Forwarder; publicUrl: string; now?: () => number; budgetMs?: number }): Preflight {
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const publicOrigin = new URL(options.publicUrl).origin;
  const now = () => new Date((options.now ?? Date.now)());
  return async function preflight(providerId, identifiers) {
    const provider = options.providers.find((p) => p.id === providerId);
    if (!provider) throw new CodedError("unknown_provider", `no provider ${providerId} is configured`);
    const app = provider.preflight;
    const path = PRESET_SHAPES[provider.preset].authorize.find((p) => !p.includes("*") && !p.includes(":"));
    if (!app || !path) throw new CodedError("preflight_not_configured", `provider ${providerId} has no preflight application (providers[].preflight: clientId, redirectUri) or no authorize path`);
    const starting = identifiers.filter((i) => i.kind === "connection" || i.kind === "domain");
    // One budget for all the probes, sent at once: with an Idempotency-Key they run inside the
    // transaction that claimed it, which must end well before the store would think it stuck.
    const signal = AbortSignal.timeout(budgetMs);
    const checks = await Promise.all(
      starting.map(async (identifier): Promise<PreflightCheck> => {
        const target = identifier.kind === "connection" && app.saml ? samlTarget(app.saml, identifier.value, publicOrigin, now()) : authorizeTarget(path, app, identifier);
        const check = (passed: boolean, detail: string): PreflightCheck => ({ kind: identifier.kind, value: identifier.value, passed, detail });
        try {
          const response = await options.forward(provider, { method: "GET", target, headers: new Headers({ accept: "text/html" }), body: null, clientIp: null, signal });
          await response.body?.cancel();
          return check(...judge(response, publicOrigin, provider.origin));
        } catch (error) {
          if (signal.aborted) return check(false, `no answer within the preflight's ${budgetMs} ms`);
          return check(false, error instanceof CodedError ? `${error.code}: ${error.message}` : "the provider could not be reached");
        }
      }),
    );
    return checks;
  };
}

type PreflightApplication = NonNullable<ProviderConfig["preflight"]>;

/** The OIDC authorize request a user of the organization sends: its connection, or an address at its domain. */
function authorizeTarget(path: string, app: PreflightApplication, identifier: Identifier): string {
  const query = new URLSearchParams({ response_type: "code", client_id: app.clientId, redirect_uri: app.redirectUri, scope: app.scope, state: `preflight-${crypto.randomUUID()}` });
  if (identifier.kind === "connection") query.set("connection", identifier.value);
  else query.set("login_hint", `preflight@${identifier.value}`);
  return `${path}?${query}`;
}

/**
 * The SAML AuthnRequest the application sends for a connection's users, by the HTTP-Redirect
 * binding to the provider's SSO endpoint as the browser reaches it on the auth domain.
 */
function samlTarget(saml: NonNullable<PreflightApplication["saml"]>, connection: string, publicOrigin: string, now: Date): string {
  const { samlRequest } = redirectAuthnRequest(saml, `${publicOrigin}${saml.ssoPath}`, now);
  const query = new URLSearchParams({ SAMLRequest: samlRequest, RelayState: `preflight-${crypto.randomUUID()}` });
  query.set(saml.connectionParameter, connection);
  return `${saml.ssoPath}?${query}`;
}

function judge(response: Response, publicOrigin: string, providerOrigin: string): [boolean, string] {
  const location = response.headers.get("location");
  if (response.status < 300 || response.status >= 400 || !location) return [false, `answered ${response.status} instead of a redirect to the IdP`];
  let url: URL;
  try {
    url = new URL(location, publicOrigin);
  } catch {
    return [false, "redirected to an unreadable Location"];
  }
  const error = url.searchParams.get("error") ?? new URLSearchParams(url.hash.slice(1)).get("error");
  if (error !== null) return [false, `error redirect: ${errorCode(error)}`];
  if (url.origin === publicOrigin || url.origin === new URL(providerOrigin).origin) return [false, `stayed on the provider's own pages (${url.pathname}): no IdP took the request`];
  return [true, `redirects to the IdP at ${url.host}`];
}
