import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseConfig, type Config } from "../../shared/config.ts";
import { ConfigError } from "../../shared/errors.ts";
import { createForwarder, type Forwarder } from "../../services/router/forward.ts";
import { providerRules } from "../../services/router/provider-headers.ts";
import { startUpstream, type Echo, type Upstream } from "../support/router.ts";
import { randomSecret } from "../support/secrets.ts";

/**
 * The forwarder with the provider rules, in front of two real local upstreams that echo what
 * they received: what each provider sees is asserted, and what a client tried to send itself.
 */
const SECRET = randomSecret("cname");
let legacy: Upstream;
let target: Upstream;
let config: Config;
let forward: Forwarder;

beforeAll(() => {
  legacy = startUpstream("legacy");
  target = startUpstream("target");
  config = parseConfig({
    publicUrl: "https://auth.example.test",
    providers: [
      { id: "legacy", role: "legacy", preset: "auth0", origin: legacy.origin, headers: { "CNAME-API-Key": { fromEnv: "TEST_CNAME_API_KEY" } }, clientIpHeader: "True-Client-IP", hostHeader: "auth.example.test" },
      { id: "target", role: "target", preset: "scalekit", origin: target.origin, clientIpHeader: "x-forwarded-for" },
    ],
    trustedProxies: { cidrs: ["10.0.0.0/8", "fd00::/8"] },
  });
  const rules = providerRules({ providers: config.providers, values: new Map([["legacy", new Map([["cname-api-key", SECRET]])]]), trustedProxies: config.trustedProxies });
  forward = createForwarder({ publicUrl: config.publicUrl, fetch: (input, init) => fetch(input, init), rules });
});
afterAll(() => {
  legacy?.stop();
  target?.stop();
});

const provider = (id: string) => config.providers.find((p) => p.id === id)!;

async function send(id: string, clientIp: string | null, headers: Record<string, string> = {}): Promise<Echo["headers"]> {
  const response = await forward(provider(id), { method: "GET", target: "/authorize?client_id=app", headers: new Headers(headers), body: null, clientIp });
  expect(response.status).toBe(200);
  return ((await response.json()) as Echo).headers;
}

describe("per-provider headers from the environment", () => {
  test("the provider that needs the header gets the configured value; the client's own copy is dropped", async () => {
    const seen = await send("legacy", "203.0.113.9", { "cname-api-key": "client-chosen" });
    expect(seen["cname-api-key"]).toBe(SECRET);
  });

  test("a client naming the configured headers in Connection cannot make the router drop them", async () => {
    const seen = await send("legacy", "203.0.113.9", { connection: "cname-api-key, true-client-ip, host" });
    expect(seen["cname-api-key"]).toBe(SECRET);
    expect(seen["true-client-ip"]).toBe("203.0.113.9");
    expect(seen.host).toBe("auth.example.test");
  });

  test("a provider without the header never receives a client's copy of it", async () => {
    const seen = await send("target", "203.0.113.9", { "cname-api-key": "client-chosen", "true-client-ip": "6.6.6.6" });
    expect(seen["cname-api-key"]).toBeUndefined();
    expect(seen["true-client-ip"]).toBeUndefined();
  });

  test("hostHeader replaces the origin's host", async () => {
    expect((await send("legacy", "203.0.113.9")).host).toBe("auth.example.test");
    expect((await send("target", "203.0.113.9")).host).toBe(new URL(target.origin).host);
  });

  test("a configured header without a value read at start is refused when the rules are built", () => {
    expect(() => providerRules({ providers: config.providers, values: new Map() })).toThrow(ConfigError);
    try {
      providerRules({ providers: config.providers, values: new Map() });
    } catch (error) {
      expect((error as Error).message).toContain("TEST_CNAME_API_KEY");
    }
  });
});

describe("the client IP header", () => {
  test("is set from the peer address; a client's own True-Client-IP is dropped", async () => {
    const seen = await send("legacy", "203.0.113.9", { "true-client-ip": "6.6.6.6" });
    expect(seen["true-client-ip"]).toBe("203.0.113.9");
  });

  test("an untrusted peer's X-Forwarded-For is not believed", async () => {
    const seen = await send("legacy", "203.0.113.9", { "x-forwarded-for": "6.6.6.6" });
    expect(seen["true-client-ip"]).toBe("203.0.113.9");
    // A provider that trusts X-Forwarded-For gets only the address the router vouches for.
    expect((await send("target", "203.0.113.9", { "x-forwarded-for": "6.6.6.6" }))["x-forwarded-for"]).toBe("203.0.113.9");
  });

  test("a trusted load balancer's X-Forwarded-For names the client: the first untrusted hop from the right", async () => {
    const seen = await send("legacy", "10.1.2.3", { "x-forwarded-for": "6.6.6.6, 198.51.100.7, 10.9.9.9" });
    expect(seen["true-client-ip"]).toBe("198.51.100.7");
    expect((await send("target", "10.1.2.3", { "x-forwarded-for": "6.6.6.6, 198.51.100.7" }))["x-forwarded-for"]).toBe("198.51.100.7");
  });

  test("an IPv4-mapped peer address is sent as plain IPv4", async () => {
    expect((await send("legacy", "::ffff:203.0.113.9"))["true-client-ip"]).toBe("203.0.113.9");
  });
});
