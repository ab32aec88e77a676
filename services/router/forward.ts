import type { ProviderConfig } from "../../shared/config.ts";
import { CodedError } from "../../shared/errors.ts";
import type { Log } from "../http/log.ts";
import { setsRouterCookie, withoutPin } from "./pin-cookie.ts";
import type { ProviderRules } from "./provider-headers.ts";
import { boundedBody } from "./upstream-body.ts";

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** What the router passes on: the incoming request's parts, its body already read (byte-exact). */
export type OutgoingRequest = {
  method: string;
  /** Path and query exactly as received (never re-encoded). */
  target: string;
  headers: Headers;
  body: Uint8Array | null;
  clientIp: string | null;
  /** Aborts when the client goes away: the provider's request is aborted with it. */
  signal?: AbortSignal;
  requestId?: string;
};

const HOP_BY_HOP = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];
/** Headers the router sets itself or must not pass on. */
const REPLACED = ["host", "content-length", "accept-encoding", "forwarded", "x-forwarded-host", "x-forwarded-proto"];
/**
 * `expect`: the router holds the whole body before it forwards, so the runtime has already
 * answered 100 Continue and the expectation is met on this hop (Node's upstream client refuses
 * to send it at all). Client-IP headers a CDN would set: a client must not choose what a
 * provider reads as its address.
 */
const CLIENT_ONLY = ["expect", "true-client-ip", "x-real-ip"];
const DROPPED_UPSTREAM = [...HOP_BY_HOP, ...REPLACED, ...CLIENT_ONLY];

export type Forwarder = (provider: ProviderConfig, request: OutgoingRequest) => Promise<Response>;

/**
 * Sends a request to a configured provider and streams its answer back. The upstream URL is
 * always the provider's origin followed by the received path: nothing in the request can
 * choose another host. Redirects are returned, never followed.
 */
export function createForwarder(options: { publicUrl: string; fetch: Fetch; rules?: ProviderRules; upstreamIdleMs?: number; log?: Log }): Forwarder {
  const idleMs = options.upstreamIdleMs ?? 10_000;
  const publicUrl = new URL(options.publicUrl);
  // Parsed once per provider, not on every request.
  const origins = new Map<string, URL>();
  const originOf = (provider: ProviderConfig) => {
    let url = origins.get(provider.id);
    if (!url) origins.set(provider.id, (url = new URL(provider.origin)));
    return url;
  };
  return async function forward(provider, request) {
    const url = provider.origin + rewritePath(request.target, provider.rewrites);
    const providerUrl = originOf(provider);
    const headers = upstreamHeaders(request, provider.preserveHost ? publicUrl.host : providerUrl.host, publicUrl);
    options.rules?.(provider, headers, request);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), provider.timeoutMs);
    const abortWithClient = () => controller.abort();
    request.signal?.addEventListener("abort", abortWithClient, { once: true });
    let upstream: Response;
    try {
      if (request.signal?.aborted) controller.abort();
      upstream = await options.fetch(url, {
        method: request.method,
        headers,
        redirect: "manual",
        signal: controller.signal,
        ...(request.body && request.body.length > 0 ? { body: request.body as Uint8Array<ArrayBuffer> } : {}),
      });
    } catch (error) {
      if (request.signal?.aborted) throw new CodedError("client_closed", "the client closed the connection before the provider answered", { provider: provider.id });
      if (controller.signal.aborted) {
        throw new CodedError("upstream_timeout", `provider ${provider.id} did not answer within ${provider.timeoutMs} ms`, { provider: provider.id });
      }
      throw new CodedError("upstream_unreachable", `provider ${provider.id} could not be reached`, { provider: provider.id });
    } finally {
      clearTimeout(timer);
    }
    const body = await boundedBody(upstream, {
      idleMs,
      provider: provider.id,
      abort: () => controller.abort(),
      onStall: () => options.log?.({ level: "warn", msg: "upstream body stalled", requestId: request.requestId, provider: provider.id, idleMs }),
      clientGone: () => request.signal?.aborted === true,
    });
    return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers: downstreamHeaders(upstream.headers, providerUrl, publicUrl) });
  };
}

function rewritePath(target: string, rewrites: readonly { from: string; to: string }[]): string {
  for (const { from, to } of rewrites) {
    if (target === from || target.startsWith(from.endsWith("/") ? from : `${from}/`) || target.startsWith(`${from}?`)) return to + target.slice(from.length);
  }
  return target;
}

function upstreamHeaders(request: OutgoingRequest, host: string, publicUrl: URL): Headers {
  const headers = new Headers(request.headers);
  for (const name of DROPPED_UPSTREAM) headers.delete(name);
  for (const name of (request.headers.get("connection") ?? "").split(",")) if (name.trim()) headers.delete(name.trim());
  for (const name of [...headers.keys()]) if (name.startsWith("x-ssomig-")) headers.delete(name);
  const cookie = withoutPin(request.headers.get("cookie"));
  if (cookie === null) headers.delete("cookie");
  else headers.set("cookie", cookie);
  headers.set("host", host);
  // Identity encoding: the body streams back untouched, with no runtime decompressing it on the way.
  headers.set("accept-encoding", "identity");
  const forwardedFor = request.headers.get("x-forwarded-for");
  if (request.clientIp) headers.set("x-forwarded-for", forwardedFor ? `${forwardedFor}, ${request.clientIp}` : request.clientIp);
  headers.set("x-forwarded-host", publicUrl.host);
  headers.set("x-forwarded-proto", publicUrl.protocol.slice(0, -1));
  return headers;
}

function downstreamHeaders(upstream: Headers, providerUrl: URL, publicUrl: URL): Headers {
  const headers = new Headers();
  const named = (upstream.get("connection") ?? "").split(",").map((h) => h.trim().toLowerCase());
  for (const [name, value] of upstream) {
    if (name === "set-cookie" || HOP_BY_HOP.includes(name) || named.includes(name)) continue;
    headers.append(name, name === "location" ? mapLocation(value, providerUrl, publicUrl) : value);
  }
  for (const cookie of upstream.getSetCookie()) {
    if (setsRouterCookie(cookie)) continue; // the pin and the session marker are the router's alone
    headers.append("set-cookie", mapCookieDomain(cookie, providerUrl.hostname, publicUrl.hostname));
  }
  return headers;
}

/** An absolute Location on the provider's own origin becomes the same path on the public auth domain. */
export function mapLocation(location: string, provider: URL, publicUrl: URL): string {
  if (!location.startsWith(provider.origin)) return location;
  const rest = location.slice(provider.origin.length);
  return rest === "" || rest.startsWith("/") || rest.startsWith("?") || rest.startsWith("#") ? publicUrl.origin + rest : location;
}

/** A cookie scoped to the provider's host (or a parent of it) is scoped to the public host instead. */
export function mapCookieDomain(cookie: string, providerHost: string, publicHost: string): string {
  return cookie.replace(/;\s*domain=\.?([^;]+)/i, (attribute, domain: string) => {
    const value = domain.trim().toLowerCase();
    return providerHost === value || providerHost.endsWith(`.${value}`) ? `; Domain=${publicHost}` : attribute;
  });
}
