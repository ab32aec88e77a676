import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT } from "jose";
import { ADMIN_TOKEN_RENEW_SECONDS, ADMIN_TOKEN_TTL_SECONDS, writeAdminToken } from "../../services/auth-settings.ts";
import { createTokenVerifier } from "../../services/commands/auth.ts";
import { tempDir } from "../support/processes.ts";
import { randomSecret } from "../support/secrets.ts";

/** The embedded default's DATA_DIR/admin.token across starts. */
const dir = tempDir();
afterAll(() => dir.cleanup());
const SECRET = randomSecret("auth");
const now = () => Math.floor(Date.now() / 1000);
const adminToken = (secret: string, expiresIn: number, claims: { iss?: string; aud?: string } = {}) =>
  new SignJWT({ scope: "migrations:read migrations:write admin", ...claims }).setProtectedHeader({ alg: "HS256" }).setSubject("local-admin").setExpirationTime(now() + expiresIn).sign(new TextEncoder().encode(secret));
const onDisk = () => readFileSync(join(dir.path, "admin.token"), "utf8").trim();

describe("the embedded default's admin token", () => {
  test("a start keeps the token it finds while it has more than a week left", async () => {
    const kept = await adminToken(SECRET, 20 * 86400);
    dir.write("admin.token", kept + "\n");
    await writeAdminToken(dir.path, SECRET);
    expect(onDisk()).toBe(kept);
  });

  test("a start replaces a token near its expiry, one from a rotated secret, or one for another issuer, with a fresh 30-day one", async () => {
    for (const stale of [await adminToken(SECRET, ADMIN_TOKEN_RENEW_SECONDS - 60), await adminToken(randomSecret("rotated"), 20 * 86400), await adminToken(SECRET, 20 * 86400, { iss: "https://old.example.com" })]) {
      dir.write("admin.token", stale + "\n");
      await writeAdminToken(dir.path, SECRET, { issuer: "https://ops.example.com" });
      const fresh = onDisk();
      expect(fresh).not.toBe(stale);
      const principal = await (await createTokenVerifier({ secret: SECRET, issuer: "https://ops.example.com" }))(fresh);
      expect(principal.subject).toBe("local-admin");
      const exp = JSON.parse(atob(fresh.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).exp as number;
      expect(Math.abs(exp - now() - ADMIN_TOKEN_TTL_SECONDS)).toBeLessThan(60);
    }
  });
});
