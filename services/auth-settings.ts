import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MintingAuth } from "../cli/token.ts";
import type { AuthOptions } from "./commands/auth.ts";
import { mintToken } from "./commands/tokens.ts";
import { env } from "./settings.ts";

const ADMIN_SCOPES = ["migrations:read", "migrations:write", "admin"];

/**
 * The embedded default's development credentials: a random HS256 secret kept under the data
 * directory (created once, readable by its owner only) and an admin token minted from it.
 */
export async function devSecret(dataDir: string, file = "auth.secret"): Promise<string> {
  const path = join(dataDir, file);
  try {
    return (await readFile(path, "utf8")).trim();
  } catch {
    await mkdir(dataDir, { recursive: true });
    const secret = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))).replace(/[+/=]/g, "");
    await writeFile(path, secret + "\n", { mode: 0o600, flag: "wx" }).catch(async () => undefined);
    await chmod(path, 0o600);
    return (await readFile(path, "utf8")).trim();
  }
}

export async function writeAdminToken(dataDir: string, secret: string): Promise<string> {
  const token = await mintToken(secret, { subject: "local-admin", scopes: ADMIN_SCOPES, ttlSeconds: 30 * 24 * 3600 });
  const path = join(dataDir, "admin.token");
  await writeFile(path, token + "\n", { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

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

/** AUTH_JWKS_URL, AUTH_PUBLIC_KEY or AUTH_SECRET; with none, a development secret under DATA_DIR. */
export async function authFromEnv(dir: string): Promise<{ options: AuthOptions; adminTokenFile?: string }> {
  const common = { ...(env("AUTH_ISSUER") ? { issuer: env("AUTH_ISSUER")! } : {}), ...(env("AUTH_AUDIENCE") ? { audience: env("AUTH_AUDIENCE")! } : {}) };
  const jwksUrl = env("AUTH_JWKS_URL");
  if (jwksUrl) return { options: { ...common, jwksUrl } };
  const pem = env("AUTH_PUBLIC_KEY");
  if (pem) return { options: { ...common, publicKey: { pem, algorithm: env("AUTH_PUBLIC_KEY_ALG") ?? "RS256" } } };
  const given = env("AUTH_SECRET");
  if (given) return { options: { ...common, secret: given } };
  const secret = await devSecret(dir);
  return { options: { ...common, secret }, adminTokenFile: await writeAdminToken(dir, secret) };
}
