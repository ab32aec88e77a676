import * as oidc from "openid-client";
import type { SignInFault } from "./sign-in-faults.ts";
import { withinMs } from "../../shared/within-ms.ts";

/** A call to the IdP that outlived its bound (openid-client's own timeout normally fires first). */
export class IdpTimeout extends Error {
  constructor(ms: number) {
    super(`the identity provider did not answer within ${ms} ms`);
    this.name = "IdpTimeout";
  }
}

/** `work`, or an IdpTimeout after `ms`: a silent IdP gives an error page, never a hung request. */
export function withinIdpTimeout<T>(ms: number, work: Promise<T>): Promise<T> {
  return withinMs(ms, work, () => new IdpTimeout(ms));
}

/** Which page a failed call to the IdP shows: its timeout, its refusal, an answer that does not verify, or no answer at all. */
export function idpFault(error: unknown): SignInFault {
  const chain = causes(error);
  if (chain.some((e) => e instanceof IdpTimeout || e.name === "TimeoutError" || (e as { code?: unknown }).code === "OAUTH_TIMEOUT")) return "idp_timeout";
  if (error instanceof oidc.ResponseBodyError) return error.error === "invalid_grant" ? "code_refused" : "idp_refused";
  if (error instanceof oidc.AuthorizationResponseError) return error.error === "access_denied" ? "access_denied" : "idp_error";
  if (chain.some((e) => (e.cause as { claim?: unknown } | undefined)?.claim === "nonce")) return "nonce_mismatch";
  // openid-client gives a code to every answer it refused; a failure without one is the connection's.
  if (error instanceof oidc.ClientError && typeof error.code === "string") return "idp_bad_answer";
  return "idp_unreachable";
}

function causes(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let e = error; e instanceof Error && chain.length < 8; e = e.cause) chain.push(e);
  return chain;
}

/** Remembers each key until its expiry, so it is taken only once; the oldest are forgotten past `max`. */
export function onceEach<K>(max: number) {
  const until = new Map<K, number>();
  return {
    take(key: K, expiresAt: number, now: number): boolean {
      for (const [k, at] of until) {
        if (at > now) break; // insertion order is expiry order (one TTL for all)
        until.delete(k);
      }
      if (until.has(key)) return false;
      until.set(key, expiresAt);
      if (until.size > max) until.delete(until.keys().next().value!);
      return true;
    },
  };
}
