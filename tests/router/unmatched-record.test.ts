import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseConfig } from "../../shared/config.ts";
import { createRouterApp } from "../../services/router/app.ts";
import { mergedJwks } from "../../services/router/merged-jwks.ts";
import { routerMetrics } from "../../services/router/metrics.ts";
import { pinCookies } from "../../services/router/pin-cookie.ts";
import { unmatchedObserver } from "../../services/router/observe-unmatched.ts";
import { COUNT_CEILING, unmatchedRecord } from "../../services/router/unmatched-record.ts";
import { SAMPLE_ISSUER, sampleSamlResponse } from "../../cli/saml-sample.ts";
import { randomSecret } from "../support/secrets.ts";

describe("the bounded record of unmatched traffic", () => {
  test("a flood of random values keeps memory bounded and a real unregistered IdP (1 request in 20) listed with its count", () => {
    const record = unmatchedRecord({ perKind: 100 });
    const real = "https://sts.windows.net/4f1c0b2e-unregistered/";
    for (let i = 0; i < 200_000; i++) {
      record.saw("saml_issuer", `https://flood.example/${crypto.randomUUID()}`, "saml_post", "legacy", i);
      record.saw("domain", `${i}.flood.example`, "authorize", "legacy", i);
      if (i % 20 === 0) record.saw("saml_issuer", real, "saml_post", "legacy", i);
      // Bounded at every step, not only at the end.
      if (i % 50_000 === 0) expect(record.size()).toBeLessThanOrEqual(200);
    }
    expect(record.size()).toBeLessThanOrEqual(200);
    const rows = record.drain();
    const found = rows.find((r) => r.value === real)!;
    expect(found).toBeDefined();
    // Space-Saving never undercounts.
    expect(found.count).toBeGreaterThanOrEqual(10_000);
    expect(found.firstSeen).toBe(0);
    expect(record.size()).toBe(0);
  });

  test("property: every value seen more often than total/capacity is listed, with a count never below the truth", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 2000 }), (stream) => {
        const record = unmatchedRecord({ perKind: 10 });
        const truth = new Map<number, number>();
        stream.forEach((v, i) => {
          truth.set(v, (truth.get(v) ?? 0) + 1);
          record.saw("connection", `c${v}`, "authorize", "legacy", i);
        });
        const rows = new Map(record.drain().map((r) => [r.value, r.count]));
        expect(rows.size).toBeLessThanOrEqual(10);
        for (const [v, n] of truth) {
          if (n > stream.length / 10) expect(rows.get(`c${v}`)).toBeGreaterThanOrEqual(n);
          if (rows.has(`c${v}`)) expect(rows.get(`c${v}`)!).toBeGreaterThanOrEqual(n);
        }
      }),
      { numRuns: 200 },
    );
  });

  test("counts saturate instead of growing without end", () => {
    const record = unmatchedRecord();
    record.restore([{ kind: "client_id", value: "m2m", requestKind: "token", provider: "legacy", count: COUNT_CEILING - 1, firstSeen: 1, lastSeen: 2 }]);
    record.saw("client_id", "m2m", "token", "legacy", 3);
    record.saw("client_id", "m2m", "token", "legacy", 4);
    expect(record.drain()[0]).toMatchObject({ count: COUNT_CEILING, firstSeen: 1, lastSeen: 4 });
  });

  test("values longer than any real identifier are not kept", () => {
    const record = unmatchedRecord();
    record.saw("domain", "x".repeat(600), "authorize", "legacy", 1);
    expect(record.size()).toBe(0);
  });
});

describe("the router records what unmatched requests carried", () => {
  const config = parseConfig({ publicUrl: "https://auth.example.com", providers: [{ id: "legacy", role: "legacy", preset: "cognito", origin: "http://127.0.0.1:1" }, { id: "target", role: "target", origin: "http://127.0.0.1:2" }] });
  const routes = { providerOf: (id: string) => (id === "acme" ? "target" : undefined), organizationOf: (_: string, v: string) => (v === "acme.com" ? "acme" : undefined) };
  const world = () => {
    const record = unmatchedRecord();
    let now = 1_000;
    const app = createRouterApp({
      config, routes, forward: async () => new Response("ok"), pins: pinCookies(randomSecret("pin"), { providers: ["legacy", "target"] }),
      jwks: mergedJwks([], async () => new Response("{}")), metrics: routerMetrics(), log: () => {}, accessLog: false,
      unmatched: unmatchedObserver(record, () => now++),
    });
    return { app, record };
  };

  test("an unregistered SAML issuer, login_hint domain and client_id are listed with the request kind and the provider they went to", async () => {
    const { app, record } = world();
    const saml = sampleSamlResponse();
    await app.request("https://auth.example.com/saml2/idpresponse", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `SAMLResponse=${encodeURIComponent(saml.base64)}` });
    await app.request("https://auth.example.com/oauth2/authorize?client_id=web&login_hint=bob%40Initech.com");
    await app.request("https://auth.example.com/oauth2/authorize?client_id=web&login_hint=bob%40initech.com");
    await app.request("https://auth.example.com/oauth2/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials&client_id=m2m-unknown" });
    const rows = record.drain().map(({ kind, value, requestKind, provider, count }) => ({ kind, value, requestKind, provider, count }));
    expect(rows).toContainEqual({ kind: "saml_issuer", value: SAMPLE_ISSUER, requestKind: "saml_post", provider: "legacy", count: 1 });
    expect(rows).toContainEqual({ kind: "domain", value: "initech.com", requestKind: "authorize", provider: "legacy", count: 2 });
    expect(rows).toContainEqual({ kind: "client_id", value: "m2m-unknown", requestKind: "token", provider: "legacy", count: 1 });
    // The application's client_id on an authorize request is no organization's signal: not listed.
    expect(rows.some((r) => r.value === "web")).toBe(false);
  });

  test("a request that found its organization records nothing, even with other unknown values beside", async () => {
    const { app, record } = world();
    await app.request("https://auth.example.com/oauth2/authorize?client_id=web&login_hint=jane%40acme.com");
    expect(record.size()).toBe(0);
  });
});
