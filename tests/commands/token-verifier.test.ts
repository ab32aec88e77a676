import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { createTokenVerifier } from "../../services/commands/auth.ts";
import { CodedError, ConfigError } from "../../shared/errors.ts";

let keys: CryptoKeyPair;
let otherKeys: CryptoKeyPair;
let jwksServer: ReturnType<typeof Bun.serve>;

const sign = (key: CryptoKey, claims: Record<string, unknown> = { scope: "migrations:read" }, kid = "k1") =>
  new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid }).setSubject("svc-deployer").setIssuer("https://idp.example.com/").setAudience("ssomigrate").setExpirationTime("5m").sign(key);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CodedError) return error.code;
    throw error;
  }
  return "accepted";
}

beforeAll(async () => {
  keys = await generateKeyPair("RS256");
  otherKeys = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  jwksServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ keys: [jwk] }) });
});
afterAll(() => jwksServer.stop(true));

describe("API token verification", () => {
  test("verifies RS256 tokens against AUTH_PUBLIC_KEY, with issuer and audience", async () => {
    const verify = await createTokenVerifier({ publicKey: { pem: await exportSPKI(keys.publicKey) }, issuer: "https://idp.example.com/", audience: "ssomigrate" });
    expect(await verify(await sign(keys.privateKey))).toEqual({ subject: "svc-deployer", scopes: new Set(["migrations:read"]) });
    expect(await codeOf(verify(await sign(otherKeys.privateKey)))).toBe("invalid_token");
  });

  test("verifies tokens against a JWKS fetched from AUTH_JWKS_URL", async () => {
    const verify = await createTokenVerifier({ jwksUrl: `http://127.0.0.1:${jwksServer.port}/jwks.json`, audience: "ssomigrate" });
    const principal = await verify(await sign(keys.privateKey, { scp: ["migrations:write", "admin"] }));
    expect([...principal.scopes]).toEqual(["migrations:write", "admin"]);
    expect(await codeOf(verify(await sign(otherKeys.privateKey)))).toBe("invalid_token");
    expect(await codeOf(verify(await sign(otherKeys.privateKey, {}, "unknown-kid")))).toBe("invalid_token");
  });

  test("refuses a token for another issuer", async () => {
    const verify = await createTokenVerifier({ publicKey: { pem: await exportSPKI(keys.publicKey) }, issuer: "https://other.example.com/" });
    expect(await codeOf(verify(await sign(keys.privateKey)))).toBe("invalid_token");
  });

  test("configuration errors name the setting", async () => {
    await expect(createTokenVerifier({ secret: "short" })).rejects.toThrow(ConfigError);
    await expect(createTokenVerifier({ secret: "short" })).rejects.toThrow(/AUTH_SECRET/);
    await expect(createTokenVerifier({ publicKey: { pem: "not a key" } })).rejects.toThrow(/AUTH_PUBLIC_KEY/);
    await expect(createTokenVerifier({ jwksUrl: "not a url" })).rejects.toThrow(/AUTH_JWKS_URL/);
    await expect(createTokenVerifier({})).rejects.toThrow(/AUTH_SECRET/);
  });
});
