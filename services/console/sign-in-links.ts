import { Buffer } from "node:buffer";
import type { Principal } from "../commands/auth.ts";

/** How long a printed link may wait for its one use. */
export const SIGN_IN_LINK_TTL_MS = 15 * 60_000;

export type Redeemed = { ok: true; principal: Principal } | { ok: false; why: "used" | "expired" | "unknown" };

export type SignInLinks = {
  /** A new single-use token for `principal`; only its hash is kept. */
  issue(principal: Principal): Promise<string>;
  redeem(token: string): Promise<Redeemed>;
};

const hashOf = async (token: string) =>
  btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)))));

/**
 * The embedded default's sign-in: `main.ts` prints a link at start, its token usable once within
 * SIGN_IN_LINK_TTL_MS. Kept in memory: a restart prints a new one and forgets the old.
 */
export function signInLinks(options: { now?: () => number; ttlMs?: number } = {}): SignInLinks {
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? SIGN_IN_LINK_TTL_MS;
  const issued = new Map<string, { principal: Principal; expiresAt: number; used: boolean }>();
  return {
    async issue(principal) {
      const token = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
      issued.set(await hashOf(token), { principal, expiresAt: now() + ttlMs, used: false });
      return token;
    },
    async redeem(token) {
      const entry = issued.get(await hashOf(token));
      if (!entry) return { ok: false, why: "unknown" };
      if (entry.used) return { ok: false, why: "used" };
      if (now() > entry.expiresAt) return { ok: false, why: "expired" };
      entry.used = true; // before anything awaits: two racing requests cannot both win
      return { ok: true, principal: entry.principal };
    },
  };
}
