import { describe, expect, test } from "bun:test";
import { demoConfig, parseConfig, providerCatalog } from "../../shared/config.ts";
import { ConfigError } from "../../shared/errors.ts";

const valid = {
  publicUrl: "https://auth.example.com",
  providers: [
    { id: "auth0", role: "legacy", preset: "auth0", origin: "https://tenant.us.auth0.com" },
    { id: "scalekit", role: "target", preset: "scalekit", origin: "https://example.scalekit.com/" },
  ],
};

const errorOf = (input: unknown): string => {
  try {
    parseConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error("expected the configuration to be refused");
};

describe("configuration", () => {
  test("accepts a provider pair, with defaults filled in", () => {
    const config = parseConfig(valid);
    expect(config.providers[1]).toEqual({ id: "scalekit", role: "target", preset: "scalekit", origin: "https://example.scalekit.com", preserveHost: false, rewrites: [], timeoutMs: 10_000 });
    expect(providerCatalog(config)).toEqual({ ids: ["auth0", "scalekit"], defaultProvider: "auth0", defaultTarget: "scalekit" });
  });

  test("the embedded default has two demo providers, legacy and target", () => {
    expect(providerCatalog(demoConfig())).toEqual({ ids: ["legacy", "target"], defaultProvider: "legacy", defaultTarget: "target" });
  });

  test("errors name the bad setting", () => {
    expect(errorOf({ ...valid, publicUrl: "auth.example.com" })).toContain("publicUrl");
    expect(errorOf({ ...valid, providers: [{ ...valid.providers[0], origin: "https://x.com/path" }, valid.providers[1]] })).toContain("providers.0.origin");
    expect(errorOf({ ...valid, providers: [{ ...valid.providers[0], preset: "keycloak" }, valid.providers[1]] })).toContain("providers.0.preset");
    expect(errorOf({ ...valid, providers: [valid.providers[0], { ...valid.providers[1], id: "auth0" }] })).toContain("duplicate provider id auth0");
    expect(errorOf({ ...valid, providers: [valid.providers[0]] })).toContain("role target");
    expect(errorOf({ ...valid, defaultProvider: "okta" })).toContain("defaultProvider");
    expect(errorOf({ ...valid, extra: true })).toContain("extra");
  });
});
