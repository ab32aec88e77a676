import { beforeAll, describe, expect, test } from "bun:test";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { createCommandsApp } from "../../services/commands/app.ts";
import { createTokenVerifier, type AuthOptions } from "../../services/commands/auth.ts";
import { openEventStore } from "../../db/event-store.ts";
import { openPglite } from "../../db/pglite.ts";
import { PROVIDERS } from "../support/commands.ts";
import { randomSecret } from "../support/secrets.ts";

/**
 * Every mode of the API's token check against a token signed with every other algorithm: each
 * mismatch is 401 invalid_token (never a 500 with a stack in the log), and a token without an
 * expiry is refused in every mode.
 */
const SECRET = randomSecret("auth");
type Signer = { alg: string; key: CryptoKey | Uint8Array };
const signers: Record<string, Signer> = {};
const modes: Record<string, { options: AuthOptions; accepts: string }> = {};
let jwksServer: ReturnType<typeof Bun.serve>;
let store: Awaited<ReturnType<typeof openEventStore>>;

beforeAll(async () => {
  const db = await openPglite();
  store = await openEventStore(db);
  signers.HS256 = { alg: "HS256", key: new TextEncoder().encode(SECRET) };
  signers.HS512 = { alg: "HS512", key: new TextEncoder().encode(SECRET) };
  const pairs: Record<string, CryptoKeyPair> = {};
  for (const alg of ["RS256", "PS256", "ES256", "EdDSA"]) {
    pairs[alg] = await generateKeyPair(alg, { extractable: true });
    signers[alg] = { alg, key: pairs[alg]!.privateKey };
  }
  // The RSA key signing PS256: same key material type, another algorithm.
  signers["RS256 key as PS256"] = { alg: "PS256", key: (await generateKeyPair("PS256")).privateKey };
  const jwk = { ...(await exportJWK(pairs.ES256!.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  jwksServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ keys: [jwk] }) });
  modes.secret = { options: { secret: SECRET }, accepts: "HS256" };
  modes.rs256 = { options: { publicKey: { pem: await exportSPKI(pairs.RS256!.publicKey) } }, accepts: "RS256" };
  modes.es256 = { options: { publicKey: { pem: await exportSPKI(pairs.ES256!.publicKey), algorithm: "ES256" } }, accepts: "ES256" };
  modes.jwks = { options: { jwksUrl: `http://127.0.0.1:${jwksServer.port}/jwks.json` }, accepts: "ES256" };
  return async () => {
    jwksServer.stop(true);
    await db.close();
  };
});

const sign = (signer: Signer, withExpiry = true) => {
  const jwt = new SignJWT({ scope: "admin" }).setProtectedHeader({ alg: signer.alg, kid: "k1" }).setSubject("alice@example.com").setIssuedAt();
  return (withExpiry ? jwt.setExpirationTime("5m") : jwt).sign(signer.key);
};

async function askApi(options: AuthOptions, token: string) {
  const logged: Record<string, unknown>[] = [];
  const app = createCommandsApp({ store, providers: PROVIDERS, verifyToken: await createTokenVerifier(options), log: (e) => logged.push(e) });
  const response = await app.request("/v1/organizations", { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as { code: string }, logged };
}

describe("API tokens signed with an algorithm the API does not accept", () => {
  test("are 401 invalid_token in every mode, never a 500, and nothing logs a stack", async () => {
    const outcomes: string[] = [];
    for (const [mode, { options, accepts }] of Object.entries(modes)) {
      const verify = await createTokenVerifier(options);
      for (const [name, signer] of Object.entries(signers)) {
        const token = await sign(signer);
        let outcome: string;
        try {
          await verify(token);
          outcome = "accepted";
        } catch (error) {
          outcome = (error as { code?: string }).code ?? `thrown ${(error as Error).constructor.name}`;
        }
        outcomes.push(`${mode} given ${name}: ${outcome}`);
        expect(`${mode} given ${name}: ${outcome}`).toBe(`${mode} given ${name}: ${name === accepts ? "accepted" : "invalid_token"}`);
      }
    }
    expect(outcomes).toHaveLength(Object.keys(modes).length * Object.keys(signers).length);
  });

  test("through the HTTP API: RS256 mode given an HS256 token answers 401 and logs no stack", async () => {
    const hs256 = await sign(signers.HS256!);
    const answer = await askApi(modes.rs256!.options, hs256);
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe("invalid_token");
    expect(JSON.stringify(answer.logged)).not.toContain("stack");
    expect(JSON.stringify(answer.logged)).not.toContain(hs256);
  });

  test("an unsigned (alg none) token is refused in every mode", async () => {
    const none = new UnsecuredJWT({ scope: "admin", sub: "alice@example.com" }).setExpirationTime("5m").encode();
    for (const { options } of Object.values(modes)) expect((await askApi(options, none)).status).toBe(401);
  });
});

describe("API tokens when AUTH_JWKS_URL cannot be fetched", () => {
  test("are 401 invalid_token saying the keys could not be fetched, never a 500", async () => {
    const verify = await createTokenVerifier({ jwksUrl: "http://127.0.0.1:1/jwks.json" });
    const error = await verify(await sign(signers.ES256!)).then(() => null, (e: Error & { code?: string }) => e);
    expect(error?.code).toBe("invalid_token");
    expect(error?.message).toContain("AUTH_JWKS_URL");
  });
});

describe("API tokens without an expiry", () => {
  test("are refused with 401 invalid_token in every mode, naming the missing exp", async () => {
    const signerFor: Record<string, Signer> = { secret: signers.HS256!, rs256: signers.RS256!, es256: signers.ES256!, jwks: signers.ES256! };
    for (const [mode, { options }] of Object.entries(modes)) {
      const verify = await createTokenVerifier(options);
      expect(await verify(await sign(signerFor[mode]!))).toMatchObject({ subject: "alice@example.com" });
      const error = await verify(await sign(signerFor[mode]!, false)).then(() => null, (e: Error & { code?: string }) => e);
      expect(error?.code).toBe("invalid_token");
      expect(error?.message).toContain("exp");
    }
  });
});
