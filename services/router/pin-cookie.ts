import { jwtVerify, SignJWT } from "jose";
import { ConfigError } from "../../shared/errors.ts";
import type { Pin } from "../../shared/routing/resolve-organization.ts";

/** `__Host-`: the browser only accepts it Secure, for the exact host, on Path=/ (no subdomain can plant one). */
export const PIN_COOKIE = "__Host-ssomig-pin";
const DEFAULT_TTL_SECONDS = 15 * 60;

export type PinCookies = {
  /** The Set-Cookie value that pins a flow to a provider. */
  issue(pin: Pin): Promise<string>;
  /** The verified pin from a Cookie header, or null (absent, forged, expired, or naming another provider set). */
  read(cookieHeader: string | null): Promise<Pin | null>;
};

/**
 * The pin is a short-lived HS256 JWT signed with a secret every router shares, so a login
 * that starts on one router instance finishes through any other.
 */
export function pinCookies(secret: string, options: { providers: readonly string[]; ttlSeconds?: number }): PinCookies {
  const raw = new TextEncoder().encode(secret);
  if (raw.length < 32) throw new ConfigError("ROUTER_PIN_SECRET", "must be at least 32 bytes");
  // Imported once: handing jose raw bytes would import the key again on every request.
  const key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const known = new Set(options.providers);
  return {
    async issue(pin) {
      const jwt = await new SignJWT({ o: pin.organizationId, p: pin.provider })
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
        .sign(await key);
      return `${PIN_COOKIE}=${jwt}; Path=/; Max-Age=${ttl}; SameSite=None; Secure; HttpOnly`;
    },
    async read(cookieHeader) {
      const value = cookieValue(cookieHeader, PIN_COOKIE);
      if (!value) return null;
      try {
        const { payload } = await jwtVerify(value, await key, { algorithms: ["HS256"] });
        const provider = payload.p;
        const organizationId = payload.o;
        if (typeof provider !== "string" || !known.has(provider)) return null;
        if (organizationId !== null && typeof organizationId !== "string") return null;
        return { organizationId, provider };
      } catch {
        return null;
      }
    },
  };
}

export function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The Cookie header without our pin: providers never see router state. Null when nothing is left. */
export function withoutPin(header: string | null): string | null {
  if (!header || !header.includes(PIN_COOKIE)) return header;
  const rest = header.split(";").filter((part) => part.split("=", 1)[0]!.trim() !== PIN_COOKIE).map((p) => p.trim());
  return rest.length ? rest.join("; ") : null;
}
