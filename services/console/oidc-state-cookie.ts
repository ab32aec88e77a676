import { EncryptJWT, errors, jwtDecrypt } from "jose";

/**
 * What a sign-in must remember between leaving for the IdP and coming back: the state that ties
 * the answer to this browser, the nonce the ID token must carry, and the PKCE verifier. It
 * travels in a cookie, encrypted (the verifier is a secret) and bound to an expiry, so any API
 * replica sharing the key can finish a sign-in another one started.
 */
export type SignInState = { state: string; nonce: string; codeVerifier: string };

export type StateCookieFault = "missing" | "expired" | "invalid";

/** The cookie is read only where the IdP sends the browser back; `__Secure-`: a browser refuses it without Secure. */
export const STATE_COOKIE = "__Secure-ssomig-oidc";
export const STATE_COOKIE_PATH = "/console/auth/oidc";
/** Long enough to type a password and approve a second factor, short enough that a stolen cookie soon dies. */
export const STATE_TTL_SECONDS = 600;

const PURPOSE = "ssomigrate console oidc state cookie v1";

export type StateCookieCodec = {
  seal(value: SignInState, nowMs: number): Promise<string>;
  open(cookie: string | undefined, nowMs: number): Promise<SignInState | StateCookieFault>;
};

/** Encrypts with A256GCM under a key derived from `secret` (HKDF, so the secret itself never keys anything else). */
export async function stateCookieCodec(secret: string | Uint8Array): Promise<StateCookieCodec> {
  const key = await deriveKey(typeof secret === "string" ? new TextEncoder().encode(secret) : secret);
  return {
    seal: (value, nowMs) =>
      new EncryptJWT({ ...value })
        .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
        .setIssuedAt(Math.floor(nowMs / 1000))
        .setExpirationTime(Math.floor(nowMs / 1000) + STATE_TTL_SECONDS)
        .encrypt(key),
    async open(cookie, nowMs) {
      if (!cookie) return "missing";
      try {
        const { payload } = await jwtDecrypt(cookie, key, { currentDate: new Date(nowMs), keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"], requiredClaims: ["exp"] });
        const { state, nonce, codeVerifier } = payload;
        if (typeof state !== "string" || typeof nonce !== "string" || typeof codeVerifier !== "string") return "invalid";
        return { state, nonce, codeVerifier };
      } catch (error) {
        return error instanceof errors.JWTExpired ? "expired" : "invalid";
      }
    },
  };
}

async function deriveKey(secret: Uint8Array): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey("raw", secret as Uint8Array<ArrayBuffer>, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new TextEncoder().encode(PURPOSE) }, material, 256);
  return new Uint8Array(bits);
}
