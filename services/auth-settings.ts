import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { jwtVerify } from "jose";
import type { AuthOptions } from "./commands/auth.ts";
import { mintToken } from "./commands/tokens.ts";
import { env, type AuthSettings } from "./settings.ts";

const ADMIN_SCOPES = ["migrations:read", "migrations:write", "admin"];

/**
 * The embedded default's development credentials: a random HS256 secret kept under the data
 * directory (created once, readable by its owner only) and an admin token minted from it.
 */
export async function devSecret(dataDir: string, file = "auth.secret"): Promise<string> {
  const path = join(dataDir, file);
  try {
    const secret = (await readFile(path, "utf8")).trim();
    await chmod(path, 0o600); // a secret left readable by an older version or by hand is made private again
    return secret;
  } catch {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const secret = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))).replace(/[+/=]/g, "");
    await writeFile(path, secret + "\n", { mode: 0o600, flag: "wx" }).catch(async () => undefined);
    await chmod(path, 0o600);
    return (await readFile(path, "utf8")).trim();
  }
}

/** The embedded default's admin token lasts 30 days and is replaced on a start within 7 days of its expiry. */
export const ADMIN_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
export const ADMIN_TOKEN_RENEW_SECONDS = 7 * 24 * 3600;

/**
 * Keeps DATA_DIR/admin.token while the API would accept it for another week; otherwise (absent,
 * near expiry, signed with a rotated secret, other issuer or audience) writes a fresh one.
 */
export async function writeAdminToken(dataDir: string, secret: string, claims: { issuer?: string; audience?: string } = {}): Promise<string> {
  const path = join(dataDir, "admin.token");
  const existing = await readFile(path, "utf8").then((s) => s.trim(), () => null);
  if (existing && (await stillGood(existing, secret, claims))) {
    await chmod(path, 0o600);
    return path;
  }
  const token = await mintToken(secret, { subject: "local-admin", scopes: ADMIN_SCOPES, ttlSeconds: ADMIN_TOKEN_TTL_SECONDS, ...claims });
  await writeFile(path, token + "\n", { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

async function stillGood(token: string, secret: string, claims: { issuer?: string; audience?: string }): Promise<boolean> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ["HS256"], requiredClaims: ["exp"], ...claims });
    return payload.exp! - Date.now() / 1000 > ADMIN_TOKEN_RENEW_SECONDS;
  } catch {
    return false;
  }
}

/**
 * How the API checks tokens, as far as minting one matters: only an HS256 secret can sign a
 * token it accepts. `development` is the embedded default's secret under DATA_DIR.
 */
export type MintingAuth =
  | { mode: "jwks" }
  | { mode: "public_key" }
  | { mode: "secret" | "development"; secret: string; issuer?: string; audience?: string }
  | { mode: "none" };

/** What `ssomig token` needs to mint a token the API configured by the same environment accepts. */
export async function mintingAuthFromEnv(dir: string): Promise<MintingAuth> {
  if (env("AUTH_JWKS_URL")) return { mode: "jwks" };
  if (env("AUTH_PUBLIC_KEY")) return { mode: "public_key" };
  const claims = { ...(env("AUTH_ISSUER") ? { issuer: env("AUTH_ISSUER")! } : {}), ...(env("AUTH_AUDIENCE") ? { audience: env("AUTH_AUDIENCE")! } : {}) };
  const given = env("AUTH_SECRET");
  if (given) return { mode: "secret", secret: given, ...claims };
  const secret = await readFile(join(dir, "auth.secret"), "utf8").then((s) => s.trim(), () => undefined);
  return secret ? { mode: "development", secret, ...claims } : { mode: "none" };
}

/** The API's token check from the typed settings; the development mode creates its secret under DATA_DIR. */
export async function authFromSettings(auth: AuthSettings, dir: string): Promise<{ options: AuthOptions; adminTokenFile?: string }> {
  const claims = { ...(auth.issuer ? { issuer: auth.issuer } : {}), ...(auth.audience ? { audience: auth.audience } : {}) };
  switch (auth.mode) {
    case "jwks":
      return { options: { ...claims, jwksUrl: auth.jwksUrl } };
    case "public_key":
      return { options: { ...claims, publicKey: { pem: auth.pem, algorithm: auth.algorithm } } };
    case "secret":
      return { options: { ...claims, secret: auth.secret } };
    case "development": {
      const secret = await devSecret(dir);
      return { options: { ...claims, secret }, adminTokenFile: await writeAdminToken(dir, secret, claims) };
    }
  }
}
