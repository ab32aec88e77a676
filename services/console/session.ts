import { Buffer } from "node:buffer";
import { timingSafeEqual } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";
import type { Principal } from "../commands/auth.ts";

/** `__Host-`: the browser keeps it only when Secure, Path=/ and without Domain, so no sibling host can plant one. */
export const SESSION_COOKIE = "__Host-ssomig-console";
/** Short on purpose: an operator signs in again after an hour. */
export const SESSION_TTL_SECONDS = 3600;
const ISSUER = "ssomigrate-console";

/** A signed-in operator: the subject becomes the actor of every event they cause. */
export type Session = { subject: string; name?: string; scopes: ReadonlySet<string>; id: string; expiresAt: number };

export type Sessions = {
  /** The Set-Cookie value for a new session of `principal`. */
  cookieFor(principal: Principal & { name?: string }): Promise<string>;
  /** The session in a Cookie header, or null (absent, forged, expired). */
  read(cookieHeader: string | undefined): Promise<Session | null>;
  /** The CSRF token of a session: bound to it, never stored, checked on every form. */
  csrfToken(session: Session): Promise<string>;
  checkCsrf(session: Session, given: string | undefined): Promise<boolean>;
  /** The Set-Cookie value that ends the session in the browser. */
  readonly clearCookie: string;
};

const encoder = new TextEncoder();

/**
 * Session cookies signed with HS256. `secret` (CONSOLE_SESSION_SECRET, at least 32 bytes) lets
 * every API replica read the others' sessions; without it a random key lives as long as the
 * process (the embedded default: a restart signs everyone out).
 */
export async function consoleSessions(options: { secret?: string; now?: () => number } = {}): Promise<Sessions> {
  const raw = options.secret ? encoder.encode(options.secret) : crypto.getRandomValues(new Uint8Array(32));
  // Two keys from one secret: the cookie's signature and the CSRF tokens never share a key.
  const master = await crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, "HKDF", false, ["deriveBits"]);
  const derive = async (info: string) =>
    new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(info) }, master, 256));
  const signingKey = await derive("ssomigrate console session");
  const csrfKey = await crypto.subtle.importKey("raw", (await derive("ssomigrate console csrf")) as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const now = options.now ?? Date.now;
  const cookie = (value: string, maxAge: number) => `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Strict`;
  const csrfToken = async (session: Session) => Buffer.from(await crypto.subtle.sign("HMAC", csrfKey, encoder.encode(session.id))).toString("base64url");

  return {
    async cookieFor(principal) {
      const iat = Math.floor(now() / 1000);
      const jwt = await new SignJWT({ scope: [...principal.scopes].join(" "), ...(principal.name ? { name: principal.name } : {}) })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer(ISSUER)
        .setSubject(principal.subject)
        .setJti(crypto.randomUUID())
        .setIssuedAt(iat)
        .setExpirationTime(iat + SESSION_TTL_SECONDS)
        .sign(signingKey);
      return cookie(jwt, SESSION_TTL_SECONDS);
    },
    async read(cookieHeader) {
      const value = cookieValue(cookieHeader, SESSION_COOKIE);
      if (!value) return null;
      try {
        const { payload } = await jwtVerify(value, signingKey, { algorithms: ["HS256"], issuer: ISSUER, requiredClaims: ["exp", "sub", "jti"], currentDate: new Date(now()) });
        const scopes = typeof payload.scope === "string" ? new Set(payload.scope.split(" ").filter(Boolean)) : new Set<string>();
        return { subject: payload.sub!, ...(typeof payload.name === "string" ? { name: payload.name } : {}), scopes, id: payload.jti!, expiresAt: payload.exp! * 1000 };
      } catch (error) {
        if (error instanceof errors.JOSEError) return null;
        throw error;
      }
    },
    csrfToken,
    async checkCsrf(session, given) {
      if (!given) return false;
      const expected = encoder.encode(await csrfToken(session));
      const actual = encoder.encode(given);
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
    clearCookie: cookie("", 0),
  };
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
