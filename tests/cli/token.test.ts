import { afterAll, describe, expect, test } from "bun:test";
import { decodeJwt } from "jose";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createTokenVerifier } from "../../services/commands/auth.ts";
import { randomSecret } from "../support/secrets.ts";
import { tempDir } from "../support/processes.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SECRET = randomSecret("auth");
const dir = tempDir();
afterAll(() => dir.cleanup());

/** The real `ssomig` binary in its own process, with only the environment given here. */
async function ssomig(args: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn([process.execPath, join(ROOT, "cli/ssomig.ts"), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", DATA_DIR: join(dir.path, "data"), ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout: stdout.trim(), stderr: stderr.trim() };
}

const now = () => Math.floor(Date.now() / 1000);

describe("npx ssomig token", () => {
  test("honours AUTH_ISSUER and AUTH_AUDIENCE: an API configured with them accepts its token", async () => {
    const env = { AUTH_SECRET: SECRET, AUTH_ISSUER: "https://ops.example.com", AUTH_AUDIENCE: "ssomigrate-api" };
    const minted = await ssomig(["token", "--sub", "deploy-bot", "--scope", "migrations:write"], env);
    expect(minted).toMatchObject({ code: 0, stderr: "" });
    const verify = await createTokenVerifier({ secret: SECRET, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE });
    const principal = await verify(minted.stdout);
    expect(principal.subject).toBe("deploy-bot");
    expect([...principal.scopes]).toEqual(["migrations:write"]);
  });

  test("refuses to mint when the API verifies against a JWKS or a public key, or its secret is too short", async () => {
    const environments: Record<string, string>[] = [
      { AUTH_SECRET: SECRET, AUTH_JWKS_URL: "https://idp.example.com/jwks.json" },
      { AUTH_SECRET: SECRET, AUTH_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----" },
      { AUTH_SECRET: "too-short-for-hs256" },
    ];
    for (const env of environments) {
      const answer = await ssomig(["token", "--sub", "deploy-bot"], env);
      expect(answer.code).toBe(2);
      expect(answer.stdout).toBe("");
      expect(answer.stderr.split("\n")).toHaveLength(1);
      expect(answer.stderr).toMatch(/AUTH_JWKS_URL|AUTH_PUBLIC_KEY|shorter than 32 bytes/);
    }
  });

  test("caps --ttl: an admin token lasts at most 30 days, any other at most 90, and --help says so", async () => {
    const env = { AUTH_SECRET: SECRET };
    const longAdmin = await ssomig(["token", "--sub", "ops", "--scope", "admin", "--ttl", "31d"], env);
    expect(longAdmin.code).toBe(2);
    expect(longAdmin.stderr).toContain("30d");
    const admin = await ssomig(["token", "--sub", "ops", "--scope", "admin", "--ttl", "30d"], env);
    expect(admin.code).toBe(0);
    expect(decodeJwt(admin.stdout).exp! - now()).toBeLessThanOrEqual(30 * 86400);
    expect((await ssomig(["token", "--sub", "ops", "--ttl", "91d"], env)).code).toBe(2);
    expect((await ssomig(["token", "--sub", "ops", "--ttl", "90d"], env)).code).toBe(0);
    expect((await ssomig(["token", "--sub", "ops", "--ttl", "0s"], env)).code).toBe(2);
    expect((await ssomig(["--help"])).stdout.replace(/\s+/g, " ")).toContain("--ttl at most 30d with the admin scope, 90d otherwise");
    expect((await ssomig(["token", "--help"])).stdout.replace(/\s+/g, " ")).toContain("--ttl at most 30d with the admin scope, 90d otherwise");
  });

  test("requires --sub with AUTH_SECRET, so no event is recorded under a shared default name", async () => {
    const missing = await ssomig(["token"], { AUTH_SECRET: SECRET });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain("--sub is required");
    expect((await ssomig(["token", "--sub", " "], { AUTH_SECRET: SECRET })).code).toBe(2);
  });

  test("in the embedded default (the secret under DATA_DIR) --sub defaults to local-operator", async () => {
    mkdirSync(join(dir.path, "data"), { recursive: true });
    dir.write("data/auth.secret", `${SECRET}\n`);
    const minted = await ssomig(["token", "--scope", "migrations:read"]);
    expect(minted.code).toBe(0);
    expect((await (await createTokenVerifier({ secret: SECRET }))(minted.stdout)).subject).toBe("local-operator");
  });
});

describe("npx ssomig route-token", () => {
  test("signs with ROUTER_PIN_SECRET, else the embedded default's DATA_DIR/pin.secret", async () => {
    const { forceRoutes } = await import("../../services/router/force-route.ts");
    const fromEnv = randomSecret("pin");
    const minted = await ssomig(["route-token", "--provider", "target", "--org", "acme", "--ttl", "5m"], { ROUTER_PIN_SECRET: fromEnv });
    expect(minted).toMatchObject({ code: 0, stderr: "" });
    expect(forceRoutes(fromEnv, { providers: ["target"] }).read(minted.stdout)).toEqual({ organizationId: "acme", provider: "target" });

    const fromFile = randomSecret("pin-file");
    mkdirSync(join(dir.path, "data"), { recursive: true });
    dir.write("data/pin.secret", `${fromFile}\n`);
    const minted2 = await ssomig(["route-token", "--provider", "legacy", "--org", "globex"]);
    expect(minted2.code).toBe(0);
    expect(forceRoutes(fromFile, { providers: ["legacy"] }).read(minted2.stdout)).toEqual({ organizationId: "globex", provider: "legacy" });
    expect(await ssomig(["route-token", "--provider", "legacy"])).toMatchObject({ code: 2, stdout: "", stderr: expect.stringContaining("--org is required") });
  });
});
