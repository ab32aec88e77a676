import { ConfigError } from "../../shared/errors.ts";
import type { FlowClaims, Pin } from "../../shared/routing/resolve-organization.ts";
import { hs256 } from "./hs256.ts";

/** `__Host-`: the browser only accepts it Secure, for the exact host, on Path=/ (no subdomain can plant one). */
export const PIN_COOKIE = "__Host-ssomig-pin";
/** Also how long a flow may take before its outcome counts as abandoned. */
export const DEFAULT_TTL_SECONDS = 15 * 60;

export type PinCookies = {
  /** The Set-Cookie value that pins a flow to a provider. */
  issue(pin: Pin): Promise<string>;
  /** The verified pin from a Cookie header, or null (absent, forged, expired, or naming another provider set). */
  read(cookieHeader: string | null): Promise<Pin | null>;
};

/** A pin may outlive its use; `u` keeps a force-route token (same secret) from passing as a pin. */
const USE = "pin";

/**
 * The pin is a short-lived HS256 JWT (see hs256.ts) signed with a secret every router shares,
 * so a login that starts on one router instance finishes through any other.
 */
export function pinCookies(secret: string, options: { providers: readonly string[]; ttlSeconds?: number; now?: () => number }): PinCookies {
  const raw = new TextEncoder().encode(secret);
  if (raw.length < 32) throw new ConfigError("ROUTER_PIN_SECRET", "must be at least 32 bytes");
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const jwt = hs256(raw, options.now);
  const known = new Set(options.providers);
  return {
    async issue(pin) {
      // One short claim: the pin is signed on every flow start, and its length is CPU. The flow's
      // start is the pin's own issue time (exp - ttl), to the second: login durations are seconds.
      const claims = !pin.flow
        ? { o: pin.organizationId, p: pin.provider, u: USE }
        : pin.flow.postPage
          ? { o: pin.organizationId, p: pin.provider, u: USE, f: pin.flow.id, m: 1 }
          : { o: pin.organizationId, p: pin.provider, u: USE, f: pin.flow.id };
      const token = jwt.sign(claims, ttl);
      return `${PIN_COOKIE}=${token}; Path=/; Max-Age=${ttl}; SameSite=None; Secure; HttpOnly`;
    },
    async read(cookieHeader) {
      const value = cookieValue(cookieHeader, PIN_COOKIE);
      const claims = value ? jwt.verify(value) : null;
      if (!claims || (claims.u !== undefined && claims.u !== USE)) return null;
      if (typeof claims.p !== "string" || !known.has(claims.p)) return null;
      if (claims.o !== null && typeof claims.o !== "string") return null;
      return { organizationId: claims.o as string | null, provider: claims.p, ...flowOf(claims, ttl) };
    },
  };
}

/** Pins issued before flows had ids (or by an older router) simply have none. */
function flowOf(claims: Record<string, unknown>, ttl: number): { flow?: FlowClaims } {
  if (typeof claims.f !== "string" || claims.f.length === 0) return {};
  return { flow: { id: claims.f, startedMs: ((claims.exp as number) - ttl) * 1000, postPage: claims.m === 1 } };
}

export function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The router's own cookies (the pin, the session marker) share this prefix. */
const ROUTER_COOKIES = "__Host-ssomig-";

/** Whether a Set-Cookie line sets one of the router's cookies: a provider may never write router state. */
export const setsRouterCookie = (setCookie: string): boolean => setCookie.trimStart().toLowerCase().startsWith(ROUTER_COOKIES.toLowerCase());

/** The Cookie header without the router's cookies: providers never see router state. Null when nothing is left. */
export function withoutPin(header: string | null): string | null {
  if (!header || !header.includes(ROUTER_COOKIES)) return header;
  const rest = header.split(";").filter((part) => !part.split("=", 1)[0]!.trim().startsWith(ROUTER_COOKIES)).map((p) => p.trim());
  return rest.length ? rest.join("; ") : null;
}
