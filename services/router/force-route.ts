import { ConfigError } from "../../shared/errors.ts";
import type { Pin } from "../../shared/routing/resolve-organization.ts";
import { hs256 } from "./hs256.ts";

/** The operators' header: send this request to this provider, whatever the route table says. */
export const FORCE_ROUTE_HEADER = "x-ssomig-route";
const USE = "force-route";

export type ForceRoutes = {
  /** A token for the header (`npx ssomig route-token`). */
  mint(route: Pin, ttlSeconds: number): string;
  /** The route a header's token names; null when it is forged, expired, not a route token or names an unknown provider. */
  read(token: string): Pin | null;
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
  const jwt = hs256(raw, options.now);
  const known = new Set(options.providers);
  return {
    mint: (route, ttlSeconds) => jwt.sign({ o: route.organizationId, p: route.provider, u: USE }, ttlSeconds),
    read(token) {
      const claims = jwt.verify(token.trim());
      if (!claims || claims.u !== USE || typeof claims.p !== "string" || !known.has(claims.p)) return null;
      if (claims.o !== null && typeof claims.o !== "string") return null;
      return { organizationId: claims.o as string | null, provider: claims.p };
    },
  };
}
