import { describe, expect, test } from "bun:test";
import { redactUrl, secretsIn, scrubber } from "../../services/redact.ts";
import { loadSettings } from "../../services/settings.ts";
import { ConfigError } from "../../shared/errors.ts";
import { randomSecret } from "../support/secrets.ts";

const SECRET = randomSecret("s");
const production = { SSOMIG_CONFIG: "/etc/ssomigrate/config.json" };

function refusal(env: Record<string, string>, service: "embedded" | "api" | "router" = "api"): string {
  try {
    loadSettings(env, service);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  return "accepted";
}

describe("loadSettings", () => {
  test("reads every variable once into typed settings, with each service's defaults", () => {
    const embedded = loadSettings({}, "embedded");
    expect(embedded).toMatchObject({ dataDir: ".data", natsPrefix: "ssomig", routePollMs: 1000, idempotencyKeyTtlHours: 168, routerAccessLog: true, auth: { mode: "development" } });
    expect([embedded.api, embedded.router, embedded.routerAdmin]).toEqual([{ host: "127.0.0.1", port: 8081 }, { host: "0.0.0.0", port: 8080 }, { host: "127.0.0.1", port: 9090 }]);
    const api = loadSettings({ ...production, API_PORT: "0", AUTH_SECRET: SECRET, AUTH_ISSUER: "https://ops.example.com" }, "api");
    expect(api.api).toEqual({ host: "0.0.0.0", port: 0 });
    expect(api.auth).toEqual({ mode: "secret", secret: SECRET, issuer: "https://ops.example.com" });
    expect(loadSettings({ ...production, API_HOST: "::1", AUTH_JWKS_URL: "https://idp.example.com/jwks", AUTH_SECRET: SECRET }, "api")).toMatchObject({ api: { host: "::1" }, auth: { mode: "jwks" } });
    expect(loadSettings({ ROUTER_ACCESS_LOG: "off", AUTH_PUBLIC_KEY: "PEM", AUTH_PUBLIC_KEY_ALG: "ES256" }, "embedded")).toMatchObject({ routerAccessLog: false, auth: { mode: "public_key", algorithm: "ES256" } });
  });

  test("a bad value fails with one line naming the setting, never repeating the value", () => {
    const password = randomSecret("pw");
    const cases: [Record<string, string>, string][] = [
      [{ API_PORT: "80a" }, "API_PORT"],
      [{ ROUTER_ADMIN_PORT: "70000" }, "ROUTER_ADMIN_PORT"],
      [{ ROUTE_POLL_MS: "0" }, "ROUTE_POLL_MS"],
      [{ IDEMPOTENCY_KEY_TTL_HOURS: "1.5" }, "IDEMPOTENCY_KEY_TTL_HOURS"],
      [{ ROUTER_ACCESS_LOG: "yes" }, "ROUTER_ACCESS_LOG"],
      [{ API_HOST: "not a host" }, "API_HOST"],
      [{ SSOMIG_NATS_PREFIX: "a..b" }, "SSOMIG_NATS_PREFIX"],
      [{ DATABASE_URL: `mysql://root:${password}@db/x` }, "DATABASE_URL"],
      [{ DATABASE_URL: `postgres://root:${password}@db:port/x` }, "DATABASE_URL"],
      [{ NATS_URL: `http://u:${password}@nats:4222` }, "NATS_URL"],
      [{ AUTH_SECRET: "short" }, "AUTH_SECRET"],
      [{ ROUTER_PIN_SECRET: "short" }, "ROUTER_PIN_SECRET"],
      [{ AUTH_PUBLIC_KEY_ALG: "HS256" }, "AUTH_PUBLIC_KEY_ALG"],
      [{ AUTH_JWKS_URL: "idp.example.com/jwks" }, "AUTH_JWKS_URL"],
    ];
    for (const [env, setting] of cases) {
      const message = refusal({ ...production, ...env });
      expect(message.startsWith(`${setting}: `)).toBe(true);
      expect(message).not.toContain("\n");
      expect(message).not.toContain(password);
    }
  });

  test("production (start:api, start:router, or DATABASE_URL set) needs SSOMIG_CONFIG; a router needs DATABASE_URL and ROUTER_PIN_SECRET", () => {
    expect(refusal({}, "api")).toStartWith("SSOMIG_CONFIG: ");
    expect(refusal({ DATABASE_URL: "postgres://db/x" }, "embedded")).toStartWith("SSOMIG_CONFIG: ");
    expect(refusal({ DATABASE_URL: "postgres://db/x", ROUTER_PIN_SECRET: SECRET }, "router")).toStartWith("SSOMIG_CONFIG: ");
    expect(refusal({ ...production, ROUTER_PIN_SECRET: SECRET }, "router")).toStartWith("DATABASE_URL: ");
    expect(refusal({ ...production, DATABASE_URL: "postgres://db/x" }, "router")).toStartWith("ROUTER_PIN_SECRET: ");
    expect(refusal({}, "embedded")).toBe("accepted");
  });
});

describe("URLs and secrets in logs", () => {
  test("redactUrl masks passwords, NATS tokens and password parameters, also in URLs that do not parse", () => {
    expect(redactUrl("postgres://app:s3cr%40t@db.internal:5432/ssomig?sslmode=require")).toBe("postgres://app:***@db.internal:5432/ssomig?sslmode=require");
    expect(redactUrl("postgres://app@db/x?password=hunter22&sslmode=require")).toBe("postgres://app@db/x?password=***&sslmode=require");
    expect(redactUrl("nats://tok3n@n1:4222,nats://u:p4ss@n2:4222")).toBe("nats://***@n1:4222,nats://u:***@n2:4222");
    expect(redactUrl("postgres://app:pa@ss@[bad/x")).toBe("postgres://app:***@[bad/x");
    expect(redactUrl("postgres://db.internal/x")).toBe("postgres://db.internal/x");
  });

  test("the scrubber masks every spelling of each secret in any text", () => {
    const secrets = secretsIn({ databaseUrl: "postgres://app:s3cr%40t!@db/x", natsUrl: "nats://natstoken@n1:4222", others: [SECRET] });
    const scrub = scrubber(secrets);
    expect(scrub("a s3cr@t! b s3cr%40t! c natstoken d " + SECRET)).toBe("a *** b *** c *** d ***");
  });
});
