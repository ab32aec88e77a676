import { Hono } from "hono";
import type { Config, ProviderConfig } from "../../shared/config.ts";
import { CodedError } from "../../shared/errors.ts";
import { classifyRequest, compilePathTables, type Classification, type RequestKind } from "../../shared/routing/classify-request.ts";
import { resolveOrganization, type Pin, type RouteDecision, type RouteLookup } from "../../shared/routing/resolve-organization.ts";
import { errorHandler, statusOf } from "../http/problem.ts";
import type { Log } from "../http/log.ts";
import type { Forwarder } from "./forward.ts";
import type { MergedJwks } from "./merged-jwks.ts";
import type { RouterMetrics } from "./metrics.ts";
import type { PinCookies } from "./pin-cookie.ts";
import { FORCE_ROUTE_HEADER, forcedDecision, type ForceRoutes } from "./force-route.ts";
import { readRequest, type ReceivedRequest } from "./read-request.ts";
import { credentialRouting, type CredentialRoute, type CredentialRouting } from "./credential-routing.ts";
import type { CredentialRecord } from "../bus/credential-record.ts";
import { inProcessCredentialRecord } from "../bus/in-process-credential-record.ts";
import type { OutcomeObserver } from "./observe-outcome.ts";

export type RouterDeps = {
  config: Config;
  routes: RouteLookup;
  forward: Forwarder;
  pins: PinCookies;
  /** Operators' X-Ssomig-Route tokens; without it the header is refused. */
  forceRoutes?: ForceRoutes;
  jwks: MergedJwks;
  metrics: RouterMetrics;
  log: Log;
  /** One structured line per request (default). Off when the load balancer keeps access logs. */
  accessLog?: boolean;
  maxBodyBytes?: number;
  /** ROUTER_BODY_TIMEOUT_MS: the whole request body must arrive within this (408 otherwise). */
  bodyTimeoutMs?: number;
  maxSamlBytes?: number;
  /** Which provider issued each code and token (shared by every router); in-process when absent. */
  credentials?: CredentialRecord;
  /** Receives the credential routing built here (for /status and /metrics). */
  onCredentialRouting?: (routing: CredentialRouting) => void;
  /** Login outcome bookkeeping (issue 12; services/router/observe-outcome.ts). Off when absent. */
  outcomes?: OutcomeObserver;
  /** Unmatched traffic (issue 12 §2; services/router/observe-unmatched.ts). Off when absent. */
  unmatched?: (req: ReceivedRequest, classification: Classification, decision: RouteDecision) => void;
};

/** Bindings come from services/runtime/serve.ts: the peer address, for X-Forwarded-For, and the target as received. */
export type RouterEnv = { Bindings: { clientIp?: string | null; target?: string | null }; Variables: { requestId: string } };

const MAX_BODY = 1024 * 1024;
const BODY_TIMEOUT_MS = 10_000;

/** The data plane: every path on the auth domain is a provider's, so there is one catch-all route. */
export function createRouterApp(deps: RouterDeps): Hono<RouterEnv> {
  const { config } = deps;
  const paths = compilePathTables(config.providers.map((p) => p.preset));
  const byId = new Map(config.providers.map((p) => [p.id, p]));
  const defaultProvider = config.defaultProvider ?? config.providers.find((p) => p.role === "legacy")!.id;
  const app = new Hono<RouterEnv>();
  const handleError = errorHandler(deps.log);
  app.onError(function routerError(error, c) {
    const response = handleError(error, c);
    // A client too slow to send its body is not kept on its connection (Deno would keep reading it).
    if (error instanceof CodedError && error.code === "request_timeout") response.headers.set("connection", "close");
    return response;
  });
  const credentials = credentialRouting({
    config,
    record: deps.credentials ?? inProcessCredentialRecord({ ttlMs: ttlsOf(config) }),
    jwks: deps.jwks,
    forward: deps.forward,
    onRecordError: (error) => deps.log({ level: "warn", msg: "credential record unreachable; unknown credentials follow the policy", error: String(error) }),
  });
  deps.onCredentialRouting?.(credentials);

  app.all("*", async function route(c) {
    const started = performance.now();
    c.set("requestId", crypto.randomUUID());
    let decision: RouteDecision | null = null;
    let kind: RequestKind | null = null;
    let status = 500;
    let servedBy: string | null = null;
    let credentialRoute: CredentialRoute | null = null;
    try {
      const req = await readRequest(c.req.raw, { maxBodyBytes: deps.maxBodyBytes ?? MAX_BODY, bodyTimeoutMs: deps.bodyTimeoutMs ?? BODY_TIMEOUT_MS, receivedTarget: c.env?.target ?? null });
      const classification = classifyRequest(req, paths);
      kind = classification.kind;
      if (kind === "jwks") {
        status = 200;
        return c.json(await deps.jwks.keys(), 200, { "cache-control": "public, max-age=300" });
      }
      const cookie = c.req.header("cookie") ?? null;
      const forceHeader = c.req.header(FORCE_ROUTE_HEADER);
      const forced = forceHeader === undefined ? null : (deps.forceRoutes?.read(forceHeader) ?? null);
      if (forceHeader !== undefined && forced === null) {
        throw new CodedError("invalid_route_token", `${FORCE_ROUTE_HEADER} must carry a valid, unexpired route token (npx ssomig route-token)`);
      }
      let pinRead: Promise<Pin | null> | null = null;
      const readPin = () => (pinRead ??= deps.pins.read(cookie));
      decision = await resolveOrganization(req, classification, {
        lookup: deps.routes,
        readPin,
        defaultProvider,
        ...(deps.maxSamlBytes ? { maxSamlBytes: deps.maxSamlBytes } : {}),
      });
      if (forced) decision = forcedDecision(forced, decision);
      deps.unmatched?.(req, classification, decision);
      const provider = byId.get(decision.provider);
      // The log names a provider the configuration no longer has: never guess another one.
      if (!provider) throw new CodedError("provider_not_configured", `the route names provider ${decision.provider}, which is not in the configuration`);
      const { response, answeredBy, route } = await send(kind, decision, provider, req, c.req.raw, c.env?.clientIp ?? null, c.get("requestId"));
      servedBy = answeredBy;
      credentialRoute = route;
      const starts = startsFlow(kind, decision);
      const flow = starts && deps.outcomes ? deps.outcomes.newFlow(postPageAnswer(kind, req)) : null;
      if (starts) response.headers.append("set-cookie", await deps.pins.issue({ organizationId: decision.organizationId, provider: decision.provider, ...(flow ? { flow } : {}) }));
      status = response.status;
      deps.outcomes?.observe({ kind, decision, answeredBy, response, startedFlow: flow, readPin });
      return response;
    } catch (error) {
      const failure = clientClosed(c.req.raw, error);
      status = failure instanceof CodedError ? statusOf(failure.code) : 500;
      throw failure;
    } finally {
      const provider = servedBy ?? decision?.provider ?? "none";
      deps.metrics.request({ provider, signal: decision?.signal ?? "none", status });
      if (deps.accessLog !== false || status >= 500) deps.log({
        msg: "route",
        requestId: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        kind,
        organization: decision?.organizationId ?? null,
        provider,
        signal: decision?.signal ?? null,
        pinned: decision?.pinned ?? false,
        ...(credentialRoute ? { credential: credentialRoute } : {}),
        status,
        durationMs: +(performance.now() - started).toFixed(2),
      });
    }
  });

  /** Forwards, and says which provider answered (credential requests may end on another one). */
  async function send(kind: RequestKind, decision: RouteDecision, provider: ProviderConfig, req: ReceivedRequest, raw: Request, clientIp: string | null, requestId: string) {
    const outgoing = { method: req.method, target: req.target, headers: raw.headers, body: req.body, clientIp, signal: raw.signal, requestId };
    const started = performance.now();
    const { response, provider: answered, route } = await credentials.send(kind, decision, provider, req, outgoing);
    deps.metrics.upstreamLatency(answered.id, (performance.now() - started) / 1000);
    return { response: kind === "discovery" ? await pointJwksAtRouter(response, config.publicUrl) : response, answeredBy: answered.id, route };
  }

  return app;
}

export function ttlsOf(config: Config) {
  const c = config.credentials;
  return { code: c.codeTtlSeconds * 1000, access_token: c.accessTokenTtlSeconds * 1000, refresh_token: c.refreshTokenTtlSeconds * 1000 };
}

/**
 * Whatever failed after the client went away (its body read cut short, the provider's request
 * aborted) is the client's doing: logged and counted as 499, never as the router's 5xx.
 */
function clientClosed(request: Request, error: unknown): unknown {
  if (!request.signal.aborted || (error instanceof CodedError && error.code === "client_closed")) return error;
  return new CodedError("client_closed", "the client closed the connection before the answer");
}

/** Authorize requests and AuthnRequests start a flow: its callback must come back to the same provider. */
function startsFlow(kind: RequestKind, decision: RouteDecision): boolean {
  if (kind === "authorize") return true;
  return (kind === "saml_redirect" || kind === "saml_post") && decision.saml?.type === "AuthnRequest";
}

/** A flow's answer comes back as a POST page when it asked for form_post or is a SAML AuthnRequest. */
function postPageAnswer(kind: RequestKind, req: ReceivedRequest): boolean {
  return kind !== "authorize" || req.query.get("response_mode") === "form_post";
}

/** The discovery document names the router's merged JWKS, so tokens from either provider verify. */
async function pointJwksAtRouter(response: Response, publicUrl: string): Promise<Response> {
  if (response.status !== 200 || !(response.headers.get("content-type") ?? "").includes("json")) return response;
  const text = await response.text();
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  try {
    const document = JSON.parse(text) as Record<string, unknown>;
    if (typeof document.jwks_uri === "string") document.jwks_uri = `${publicUrl}/.well-known/jwks.json`;
    return new Response(JSON.stringify(document), { status: 200, headers });
  } catch {
    return new Response(text, { status: 200, headers });
  }
}
