import { describe, expect, test } from "bun:test";
import type { OidcSignInOptions } from "../../services/console/oidc-sign-in.ts";
import { loadSettings } from "../../services/settings.ts";
import { ConfigError } from "../../shared/errors.ts";
import { randomSecret } from "../support/secrets.ts";

const production = { SSOMIG_CONFIG: "/etc/ssomigrate/config.json" };
const OIDC = {
  CONSOLE_OIDC_ISSUER: "https://login.corp.test/realms/ops",
  CONSOLE_OIDC_CLIENT_ID: "ssomig-console",
  CONSOLE_OIDC_REDIRECT_URL: "https://ssomig.corp.test/console/auth/oidc/callback",
  CONSOLE_OIDC_ROLE_MAP: "ssomig-admins=admin, ssomig-operators=migrations:write,ssomig-operators=migrations:read,ssomig-viewers=migrations:read",
};

function refusal(env: Record<string, string>): string {
  try {
    loadSettings({ ...production, ...env }, "api");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  return "accepted";
}

describe("CONSOLE_OIDC_* settings", () => {
  test("none set: no OIDC sign-in; all set: the typed settings, with defaults for scopes, roles claim and timeout", () => {
    expect(loadSettings(production, "api").console.oidc).toBeNull();
    // Those with defaults may be set anyway (docker-compose passes them through).
    expect(loadSettings({ ...production, CONSOLE_OIDC_TIMEOUT_MS: "5000", CONSOLE_OIDC_ROLES_CLAIM: "groups", CONSOLE_OIDC_SCOPES: "openid email" }, "api").console.oidc).toBeNull();
    expect(loadSettings({ ...production, ...OIDC }, "api").console.oidc).toEqual({
      issuer: OIDC.CONSOLE_OIDC_ISSUER,
      clientId: "ssomig-console",
      redirectUrl: OIDC.CONSOLE_OIDC_REDIRECT_URL,
      scopes: ["openid", "email", "profile"],
      rolesClaim: "groups",
      roleMap: new Map([
        ["ssomig-admins", ["admin"]],
        ["ssomig-operators", ["migrations:write", "migrations:read"]],
        ["ssomig-viewers", ["migrations:read"]],
      ]),
      timeoutMs: 10_000,
    });
  });

  test("the parsed settings are the sign-in routes' options: the composition root spreads them in", () => {
    const settings = loadSettings({ ...production, ...OIDC, CONSOLE_OIDC_CLIENT_SECRET: randomSecret("client") }, "api");
    const options: OidcSignInOptions = { ...settings.console.oidc!, log: () => {}, signedIn: (c) => c.text("signed in") };
    expect(options).toMatchObject({ issuer: OIDC.CONSOLE_OIDC_ISSUER, redirectUrl: OIDC.CONSOLE_OIDC_REDIRECT_URL, rolesClaim: "groups" });
  });

  test("the client secret and the cookie secret are secrets: every log line masks them", () => {
    const clientSecret = randomSecret("client");
    const cookieSecret = randomSecret("cookie");
    const settings = loadSettings({ ...production, ...OIDC, CONSOLE_OIDC_CLIENT_SECRET: clientSecret, CONSOLE_OIDC_COOKIE_SECRET: cookieSecret, CONSOLE_OIDC_ROLES_CLAIM: "roles", CONSOLE_OIDC_SCOPES: "openid email groups" }, "api");
    expect(settings.console.oidc).toMatchObject({ clientSecret, cookieSecret, rolesClaim: "roles", scopes: ["openid", "email", "groups"] });
    expect(settings.secrets).toContain(clientSecret);
    expect(settings.secrets).toContain(cookieSecret);
  });

  test("a partial configuration names the first missing setting", () => {
    expect(refusal({ CONSOLE_OIDC_ISSUER: OIDC.CONSOLE_OIDC_ISSUER })).toStartWith("CONSOLE_OIDC_CLIENT_ID: is required with CONSOLE_OIDC_ISSUER");
    const { CONSOLE_OIDC_ROLE_MAP: _, ...withoutMap } = OIDC;
    expect(refusal(withoutMap)).toStartWith("CONSOLE_OIDC_ROLE_MAP: ");
    expect(refusal({ CONSOLE_OIDC_CLIENT_SECRET: randomSecret("s") })).toStartWith("CONSOLE_OIDC_ISSUER: ");
  });

  test("bad values fail with one line naming the setting, never repeating a secret", () => {
    const secret = randomSecret("s");
    const cases: [Record<string, string>, string][] = [
      [{ CONSOLE_OIDC_ISSUER: "http://login.corp.test" }, "CONSOLE_OIDC_ISSUER"],
      [{ CONSOLE_OIDC_ISSUER: "https://login.corp.test/?tenant=1" }, "CONSOLE_OIDC_ISSUER"],
      [{ CONSOLE_OIDC_REDIRECT_URL: "https://ssomig.corp.test/callback" }, "CONSOLE_OIDC_REDIRECT_URL"],
      [{ CONSOLE_OIDC_REDIRECT_URL: "http://ssomig.corp.test/console/auth/oidc/callback" }, "CONSOLE_OIDC_REDIRECT_URL"],
      [{ CONSOLE_OIDC_ROLE_MAP: "ssomig-admins=root" }, "CONSOLE_OIDC_ROLE_MAP"],
      [{ CONSOLE_OIDC_ROLE_MAP: "=admin" }, "CONSOLE_OIDC_ROLE_MAP"],
      [{ CONSOLE_OIDC_ROLE_MAP: "ssomig-admins" }, "CONSOLE_OIDC_ROLE_MAP"],
      [{ CONSOLE_OIDC_SCOPES: "email profile" }, "CONSOLE_OIDC_SCOPES"],
      [{ CONSOLE_OIDC_ROLES_CLAIM: "my groups" }, "CONSOLE_OIDC_ROLES_CLAIM"],
      [{ CONSOLE_OIDC_COOKIE_SECRET: "short" }, "CONSOLE_OIDC_COOKIE_SECRET"],
      [{ CONSOLE_OIDC_TIMEOUT_MS: "0" }, "CONSOLE_OIDC_TIMEOUT_MS"],
    ];
    for (const [env, setting] of cases) {
      const message = refusal({ ...OIDC, CONSOLE_OIDC_CLIENT_SECRET: secret, ...env });
      expect({ setting, prefix: message.startsWith(`${setting}: `) }).toEqual({ setting, prefix: true });
      expect(message).not.toContain("\n");
      expect(message).not.toContain(secret);
    }
  });

  test("http is accepted on this machine only (a development IdP)", () => {
    const local = { ...OIDC, CONSOLE_OIDC_ISSUER: "http://127.0.0.1:9000", CONSOLE_OIDC_REDIRECT_URL: "http://localhost:8081/console/auth/oidc/callback" };
    expect(loadSettings({ ...production, ...local }, "api").console.oidc).toMatchObject({ issuer: "http://127.0.0.1:9000" });
  });
});
