import { CodedError, ConfigError } from "../../shared/errors.ts";
import type { RouteDecision } from "../../shared/routing/resolve-organization.ts";
import { hs256 } from "./hs256.ts";

/** The operators' header: send this request to this provider, whatever the route table says. */
export const FORCE_ROUTE_HEADER = "x-ssomig-route";
const USE = "force-route";
/** The longest a route token may live: it bypasses the route table, so it must not outlast a working day. */
export const MAX_ROUTE_TOKEN_TTL_SECONDS = 24 * 3600;

/** A forced route always names its organization: the token acts on that organization's traffic only. */
export type ForcedRoute = { organizationId: string; provider: string };

export type ForceRoutes = {
  /** A token for the header (`npx ssomig route-token`); at most MAX_ROUTE_TOKEN_TTL_SECONDS. */
  mint(route: ForcedRoute, ttlSeconds: number): string;
  /**
   * The route a header's token names; null when it is forged, tampered with, expired, lives longer
   * than the cap, is not a route token, names no organization or an unknown provider.
   */
  read(token: string): ForcedRoute | null;
};

/**
 * Operators test a provider for an organization before migrating it (or reach the old one after)
 * by sending `X-Ssomig-Route: <token>`. The token is an HS256 JWT signed with the routers' shared
 * ROUTER_PIN_SECRET, short-lived and marked for this use, so a pin cannot pass for one. The
 * router strips every `x-ssomig-*` header before forwarding.
 */
export function forceRoutes(secret: string, options: { providers: readonly string[]; now?: () => number }): ForceRoutes {
  const raw = new TextEncoder().encode(secret);
  if (raw.length < 32) throw new ConfigError("ROUTER_PIN_SECRET", "must be at least 32 bytes");
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const jwt = hs256(raw, now);
  const known = new Set(options.providers);
  return {
    mint(route, ttlSeconds) {
      if (!(ttlSeconds > 0 && ttlSeconds <= MAX_ROUTE_TOKEN_TTL_SECONDS)) throw new RangeError(`a route token lives at most ${MAX_ROUTE_TOKEN_TTL_SECONDS} s`);
      return jwt.sign({ o: route.organizationId, p: route.provider, u: USE }, ttlSeconds);
    },
    read(token) {
      const claims = jwt.verify(token.trim());
      if (!claims || claims.u !== USE || typeof claims.p !== "string" || !known.has(claims.p)) return null;
      if (typeof claims.o !== "string" || claims.o === "") return null;
      // Signed with the shared secret by something other than `ssomig route-token`: refuse what it would not mint.
      if ((claims.exp as number) - now() > MAX_ROUTE_TOKEN_TTL_SECONDS) return null;
      return { organizationId: claims.o, provider: claims.p };
    },
  };
}

/**
 * The decision for a request carrying a valid route token, given what the request would have been
 * routed by without it: the token forces the provider for its own organization's traffic (or
 * traffic no signal attributes to any organization), and is refused on another organization's.
 */
export function forcedDecision(forced: ForcedRoute, resolved: RouteDecision): RouteDecision {
  if (resolved.organizationId !== null && resolved.organizationId !== forced.organizationId) {
    throw new CodedError("invalid_route_token", `this route token is for organization ${forced.organizationId}; the request belongs to another organization`);
  }
  return { ...resolved, organizationId: forced.organizationId, provider: forced.provider, signal: "force_route", pinned: false };
}
