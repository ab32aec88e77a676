import { afterEach, describe, expect, test } from "bun:test";
import { parseConfig } from "../../shared/config.ts";
import { ConfigError } from "../../shared/errors.ts";
import { providerHeaderValues } from "../../services/settings.ts";
import { randomSecret } from "../support/secrets.ts";

/** The provider settings a real custom domain needs, as the configuration file states them. */
const base = (legacy: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  publicUrl: "https://auth.example.com",
  providers: [
    { id: "auth0", role: "legacy", preset: "auth0", origin: "https://tenant.cd-1.edge.tenants.us.auth0.com", ...legacy },
    { id: "scalekit", role: "target", preset: "scalekit", origin: "https://example.scalekit.com" },
  ],
  ...extra,
});

const refusal = (input: unknown): string => {
  try {
    parseConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected the configuration to be refused");
};

describe("provider settings in the configuration file", () => {
  test("header names are lower-cased; values are only ever named, by environment variable", () => {
    const config = parseConfig(base({ headers: { "CNAME-API-Key": { fromEnv: "AUTH0_CNAME_API_KEY" } }, clientIpHeader: "True-Client-IP" }, { trustedProxies: { cidrs: ["10.0.0.0/8", "fd00::/8"] } }));
    expect(config.providers[0]).toMatchObject({ headers: { "cname-api-key": { fromEnv: "AUTH0_CNAME_API_KEY" } }, clientIpHeader: "true-client-ip" });
    expect(config.trustedProxies).toEqual({ cidrs: ["10.0.0.0/8", "fd00::/8"], header: "x-forwarded-for" });
  });

  test("a value written in the file is refused, and the refusal does not repeat it", () => {
    const message = refusal(base({ headers: { "cname-api-key": "s3cr3t-in-the-file" } }));
    expect(message).toContain("providers.0.headers.cname-api-key");
    expect(message).toContain("never from the config file");
    expect(message).not.toContain("s3cr3t-in-the-file");
  });

  test("headers the router sets or the client owns cannot be configured", () => {
    for (const name of ["Host", "authorization", "cookie", "x-forwarded-for", "content-length", "x-ssomig-route"]) {
      expect(refusal(base({ headers: { [name]: { fromEnv: "X" } } }))).toContain("cannot be configured");
    }
    expect(refusal(base({ headers: { "bad name": { fromEnv: "X" } } }))).toContain("HTTP header name");
    expect(refusal(base({ headers: { a: { fromEnv: "X" }, A: { fromEnv: "Y" } } }))).toContain("configured twice");
    expect(refusal(base({ headers: { a: { fromEnv: "1X" } } }))).toContain("environment variable name");
    expect(refusal(base({ clientIpHeader: "cookie" }))).toContain("clientIpHeader");
    expect(refusal(base({ clientIpHeader: "true-client-ip", headers: { "true-client-ip": { fromEnv: "X" } } }))).toContain("clientIpHeader");
  });

  test("Host and TLS settings are checked against each other and the origin", () => {
    expect(refusal(base({ hostHeader: "auth.example.com", preserveHost: true }))).toContain("preserveHost");
    expect(refusal(base({ hostHeader: "auth.example.com/path" }))).toContain("hostHeader");
    expect(refusal(base({ serverName: "10.0.0.1" }))).toContain("not an IP address");
    expect(refusal(base({ origin: "http://127.0.0.1:9001", serverName: "auth.example.com" }))).toContain("https origin");
    expect(refusal(base({ origin: "http://127.0.0.1:9001", caFile: "/ca.pem" }))).toContain("https origin");
    expect(refusal(base({}, { trustedProxies: { cidrs: ["10.0.0.0/33"] } }))).toContain("trustedProxies.cidrs.0");
    const shared = base({ serverName: "a.example.com" });
    shared.providers[1] = { ...shared.providers[1]!, origin: shared.providers[0]!.origin };
    expect(refusal(shared)).toContain("providers.1.origin");
  });
});

describe("header values from the environment, read at start", () => {
  const names: string[] = [];
  const setEnv = (value: string) => {
    const name = `SSOMIG_TEST_${crypto.randomUUID().replaceAll("-", "_").toUpperCase()}`;
    names.push(name);
    process.env[name] = value;
    return name;
  };
  afterEach(() => {
    for (const name of names.splice(0)) delete process.env[name];
  });

  test("each provider gets its values", () => {
    const secret = randomSecret("cname");
    const variable = setEnv(secret);
    const values = providerHeaderValues(parseConfig(base({ headers: { "cname-api-key": { fromEnv: variable } } })));
    expect([...values.get("auth0")!]).toEqual([["cname-api-key", secret]]);
    expect([...values.get("scalekit")!]).toEqual([]);
  });

  test("a missing or empty variable is a configuration error naming the setting and the variable", () => {
    const variable = setEnv("");
    const config = parseConfig(base({ headers: { "cname-api-key": { fromEnv: variable } } }));
    expect(() => providerHeaderValues(config)).toThrow(`providers.0.headers.cname-api-key: environment variable ${variable} is not set`);
  });

  test("a value that could split the header line is refused without being repeated", () => {
    const variable = setEnv("abc\r\nx-injected: 1");
    const config = parseConfig(base({ headers: { "cname-api-key": { fromEnv: variable } } }));
    let message = "";
    try {
      providerHeaderValues(config);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`${variable} holds characters a header value cannot carry`);
    expect(message).not.toContain("x-injected");
  });
});
