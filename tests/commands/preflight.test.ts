import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseConfig, providerCatalog } from "../../shared/config.ts";
import { openEventStore } from "../../db/event-store.ts";
import { openPglite } from "../../db/pglite.ts";
import type { Database } from "../../db/sql.ts";
import { createCommandsApp } from "../../services/commands/app.ts";
import { createTokenVerifier } from "../../services/commands/auth.ts";
import { preflightProbe } from "../../services/commands/preflight.ts";
import { mintToken } from "../../services/commands/tokens.ts";
import { silentLog } from "../../services/http/log.ts";
import { createForwarder } from "../../services/router/forward.ts";
import { startUpstream } from "../support/router.ts";
import { randomSecret } from "../support/secrets.ts";

const SECRET = randomSecret("api");
const PUBLIC = "https://auth.example.com";

// A real HTTP server plays the target provider; the probe goes through the router's forwarder.
describe("preflight", () => {
  const target = startUpstream("target");
  const legacy = startUpstream("legacy");
  const ready = new Set<string>(["acme-okta"]);
  let unhang!: () => void;
  const hanging = new Promise<void>((resolve) => (unhang = resolve));
  target.handle(async (request) => {
    const url = new URL(request.url);
    if (url.searchParams.get("connection") === "slow-okta") await hanging;
    if (url.pathname !== "/authorize" || url.searchParams.get("client_id") !== "preflight-app") return new Response("not found", { status: 404 });
    const connection = url.searchParams.get("connection");
    const hint = url.searchParams.get("login_hint");
    if (connection && ready.has(connection)) return new Response(null, { status: 302, headers: { location: "https://acme.okta.example/app/sso/saml?SAMLRequest=abc" } });
    if (hint?.endsWith("@acme.example")) return new Response(null, { status: 302, headers: { location: `${target.origin}/u/login?state=x` } });
    return new Response(null, { status: 302, headers: { location: "https://app.example.com/cb?error=invalid_request&error_description=no+connection+jane" } });
  });
  const config = parseConfig({
    publicUrl: PUBLIC,
    providers: [
      { id: "legacy", role: "legacy", origin: legacy.origin },
      { id: "target", role: "target", origin: target.origin, preflight: { clientId: "preflight-app", redirectUri: "https://app.example.com/cb" } },
    ],
  });
  let db: Database;
  let app: ReturnType<typeof createCommandsApp>;
  let token: string;
  beforeAll(async () => {
    db = await openPglite();
    const store = await openEventStore(db);
    const preflight = preflightProbe({ providers: config.providers, forward: createForwarder({ publicUrl: PUBLIC, fetch: (input, init) => fetch(input, init) }), publicUrl: PUBLIC });
    app = createCommandsApp({ store, providers: providerCatalog(config), verifyToken: await createTokenVerifier({ secret: SECRET }), log: silentLog, preflight });
    token = await mintToken(SECRET, { subject: "ops@example.com", scopes: ["migrations:write"], ttlSeconds: 300 });
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: response.status, body: (await response.json()) as any };
  };
  afterAll(async () => {
    unhang();
    target.stop();
    legacy.stop();
    await db?.close();
  });

  test("probes each identifier that can start a flow through the forwarder and records the result as an event", async () => {
    await call("POST", "/v1/organizations", { id: "acme", name: "Acme", identifiers: [{ kind: "connection", value: "acme-okta" }, { kind: "domain", value: "acme.example" }, { kind: "saml_issuer", value: "https://acme.okta.example/exk1" }] });
    const result = await call("POST", "/v1/organizations/acme/preflight");
    expect(result.status).toBe(200);
    expect(result.body.passed).toBe(false);
    expect(result.body.checks).toEqual([
      { kind: "connection", value: "acme-okta", passed: true, detail: "redirects to the IdP at acme.okta.example" },
      { kind: "domain", value: "acme.example", passed: false, detail: "stayed on the provider's own pages (/u/login): no IdP took the request" },
    ]);
    const events = await call("GET", "/v1/organizations/acme/events");
    const recorded = events.body.events.at(-1);
    expect(recorded).toMatchObject({ type: "PreflightRecorded", actor: "ops@example.com", data: { provider: "target", passed: false } });
    // The probe went with the configured application, not a user's data.
    expect(target.requests.at(-1)!.url).toContain("client_id=preflight-app");
  });

  test("an error redirect fails the check with its code only, never the description", async () => {
    await call("POST", "/v1/organizations", { id: "globex", name: "Globex", identifiers: [{ kind: "connection", value: "globex-entra" }] });
    const result = await call("POST", "/v1/organizations/globex/preflight");
    expect(result.body.checks).toEqual([{ kind: "connection", value: "globex-entra", passed: false, detail: "error redirect: invalid_request" }]);
    expect(JSON.stringify(result.body)).not.toContain("jane");
  });

  test("migrate with requirePreflight refuses (409 preflight_required) until a passing preflight is recorded, then migrates", async () => {
    await call("POST", "/v1/organizations", { id: "initech", name: "Initech", identifiers: [{ kind: "connection", value: "initech-adfs" }] });
    const refused = await call("POST", "/v1/organizations/initech/migrate", { reason: "wave 1", requirePreflight: true });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("preflight_required");
    expect((await call("POST", "/v1/organizations/initech/preflight")).body.passed).toBe(false);
    expect((await call("POST", "/v1/organizations/initech/migrate", { reason: "wave 1", requirePreflight: true })).body.code).toBe("preflight_required");
    ready.add("initech-adfs");
    expect((await call("POST", "/v1/organizations/initech/preflight")).body.passed).toBe(true);
    const moved = await call("POST", "/v1/organizations/initech/migrate", { reason: "wave 1", requirePreflight: true });
    expect(moved.status).toBe(200);
    expect(moved.body.provider).toBe("target");
  });

  test("PUT /v1/organizations/{id}/guard turns the guard off and on as events", async () => {
    const put = async (enabled: unknown) => {
      const response = await app.request("/v1/organizations/acme/guard", { method: "PUT", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ enabled }) });
      return { status: response.status, body: (await response.json()) as any };
    };
    expect((await put(false)).body.guardEnabled).toBe(false);
    expect((await put(true)).body.guardEnabled).toBe(true);
    expect((await put("no")).status).toBe(400);
    const events = (await call("GET", "/v1/organizations/acme/events")).body.events.filter((e: any) => e.type === "GuardSet");
    expect(events.map((e: any) => [e.data.enabled, e.actor])).toEqual([[false, "ops@example.com"], [true, "ops@example.com"]]);
  });

  test("a provider without a preflight application is refused with a clear code; an unknown organization is 404", async () => {
    expect((await call("POST", "/v1/organizations/acme/preflight", { to: "legacy" })).body.code).toBe("preflight_not_configured");
    expect((await call("POST", "/v1/organizations/nobody/preflight")).status).toBe(404);
  });

  test("the probes share one time budget and run at once: a provider that does not answer fails its check, the others are judged", async () => {
    const forward = createForwarder({ publicUrl: PUBLIC, fetch: (input, init) => fetch(input, init) });
    const probe = preflightProbe({ providers: config.providers, forward, publicUrl: PUBLIC, budgetMs: 300 });
    const started = Date.now();
    const checks = await probe("target", [{ kind: "connection", value: "slow-okta" }, { kind: "connection", value: "acme-okta" }]);
    expect(checks).toEqual([
      { kind: "connection", value: "slow-okta", passed: false, detail: "no answer within the preflight's 300 ms" },
      { kind: "connection", value: "acme-okta", passed: true, detail: "redirects to the IdP at acme.okta.example" },
    ]);
    // Well before the provider's own timeout (10 s): the budget bounds the whole preflight.
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
