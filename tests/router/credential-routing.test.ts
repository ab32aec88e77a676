import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { generateKeyPair, exportJWK, SignJWT } from "jose";
import { credentialHash, type CredentialRecord } from "../../services/bus/credential-record.ts";
import { inProcessCredentialRecord } from "../../services/bus/in-process-credential-record.ts";
import { createAdminApp } from "../../services/router/admin-app.ts";
import { SESSION_MARKER_COOKIE } from "../../services/router/credential-routing.ts";
import { eventually } from "../support/eventually.ts";
import { natsServer } from "../support/processes.ts";
import { unique } from "../support/unique.ts";
import { natsCredentialRecord } from "../../services/bus/nats-credential-record.ts";
import { routerHarness, type RouterHarness, form, PIN_SECRET } from "../support/router.ts";
import { forceRoutes } from "../../services/router/force-route.ts";

/**
 * Credentials go only to the provider that issued them. Both upstreams are real HTTP servers
 * that record what they receive; the router learns from their answers, as it does in production.
 */
let h: RouterHarness;
let shared: CredentialRecord;
const received: Record<"legacy" | "target", string[]> = { legacy: [], target: [] };
const TTLS = { code: 600_000, access_token: 600_000, refresh_token: 600_000 };

/** What a provider got: the path, the query and the body, for looking for credentials in it. */
async function recordInto(list: string[], request: Request) {
  const url = new URL(request.url);
  list.push(`${url.pathname}?${url.search} ${request.headers.get("authorization") ?? ""} ${await request.clone().text()}`);
}
const sawAnywhere = (provider: "legacy" | "target", secret: string) => received[provider].some((r) => r.includes(secret));

let keys: { legacy: CryptoKey; target: CryptoKey };

/** A small provider: redirects authorize to the app with a code, issues tokens, answers userinfo/revoke/introspect/logout. */
function provider(name: "legacy" | "target") {
  return async (request: Request) => {
    await recordInto(received[name], request);
    const url = new URL(request.url);
    if (url.pathname === "/.well-known/jwks.json") return Response.json({ keys: [{ ...(await exportJWK(publicKeys[name])), kid: `${name}-key`, alg: "ES256", use: "sig" }] });
    if (url.pathname === "/authorize") {
      const mode = url.searchParams.get("response_mode");
      const code = `${name}-code-${crypto.randomUUID()}`;
      if (mode === "form_post") {
        return new Response(`<html><body onload="document.forms[0].submit()"><form method="post" action="https://app.example/cb"><input type="hidden" name="code" value="${code}"/><input type="hidden" name="state" value="s"/></form></body></html>`, { headers: { "content-type": "text/html; charset=utf-8" } });
      }
      return new Response(null, { status: 302, headers: { location: `https://app.example/cb?code=${code}&state=s` } });
    }
    if (url.pathname === "/oauth/token") {
      const body = new URLSearchParams(await request.text());
      const credential = body.get("code") ?? body.get("refresh_token") ?? "";
      if (!credential.startsWith(`${name}-`)) return Response.json({ error: "invalid_grant" }, { status: 400 });
      return Response.json({ access_token: `${name}-at-${crypto.randomUUID()}`, refresh_token: `${name}-rt-${crypto.randomUUID()}`, token_type: "Bearer", expires_in: 3600 });
    }
    if (url.pathname === "/userinfo") return Response.json({ provider: name });
    if (url.pathname === "/oauth/revoke") return new Response(null, { status: 200 });
    if (url.pathname === "/introspect") return Response.json({ active: true, provider: name });
    if (url.pathname === "/logout") return Response.json({ provider: name, loggedOut: true });
    return Response.json({ provider: name });
  };
}
let publicKeys: { legacy: CryptoKey; target: CryptoKey };

beforeAll(async () => {
  const legacy = await generateKeyPair("ES256", { extractable: true });
  const target = await generateKeyPair("ES256", { extractable: true });
  keys = { legacy: legacy.privateKey, target: target.privateKey };
  publicKeys = { legacy: legacy.publicKey, target: target.publicKey };
  h = await routerHarness();
  h.legacy.handle(provider("legacy"));
  h.target.handle(provider("target"));
  await h.register("acme", [{ kind: "domain", value: "acme.com" }]);
  await h.migrate("acme");
}, 30_000);
afterAll(() => h.close());
beforeEach(() => {
  shared = inProcessCredentialRecord({ ttlMs: TTLS });
  received.legacy.length = 0;
  received.target.length = 0;
});

async function loaded<R extends { routes: { load(): Promise<unknown> } }>(router: R): Promise<R> {
  await router.routes.load();
  return router;
}

const authorize = (app: ReturnType<RouterHarness["router"]>["app"], extra = "") => app.request(`/authorize?client_id=app&login_hint=alice@acme.com&redirect_uri=https://app.example/cb${extra}`);
const codeOf = (response: Response) => new URL(response.headers.get("location")!).searchParams.get("code")!;
const exchange = (app: ReturnType<RouterHarness["router"]>["app"], code: string) =>
  app.request("/oauth/token", { ...form({ grant_type: "authorization_code", code, redirect_uri: "https://app.example/cb" }), headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa("app:app-secret")}` } });

describe("a code goes to the provider that issued it", () => {
  test("a code the target issued is exchanged at the target only: the legacy provider never sees it or the client's secret", async () => {
    const router = await loaded(h.router({ credentials: shared }));
    const redirect = await authorize(router.app);
    expect(redirect.status).toBe(302);
    const code = codeOf(redirect);
    expect(code).toStartWith("target-code-");
    const tokens = await exchange(router.app, code);
    expect(tokens.status).toBe(200);
    expect(((await tokens.json()) as { access_token: string }).access_token).toStartWith("target-at-");
    expect(sawAnywhere("legacy", code)).toBe(false);
    expect(received.legacy.some((r) => r.includes(btoa("app:app-secret")))).toBe(false);
    expect(h.logs.at(-1)).toMatchObject({ kind: "token", provider: "target", credential: "learned" });
  });

  test("learned on one router, exchanged through another that shares the record", async () => {
    const a = await loaded(h.router({ credentials: shared }));
    const b = await loaded(h.router({ credentials: shared }));
    const code = codeOf(await authorize(a.app));
    const tokens = await exchange(b.app, code);
    expect(tokens.status).toBe(200);
    expect(sawAnywhere("legacy", code)).toBe(false);
  });

  test("a form_post page is learned from too, and reaches the browser byte for byte", async () => {
    const router = await loaded(h.router({ credentials: shared }));
    const page = await authorize(router.app, "&response_mode=form_post");
    const html = await page.text();
    const code = /name="code" value="([^"]+)"/.exec(html)![1]!;
    expect(html).toStartWith('<html><body onload="document.forms[0].submit()">');
    expect(page.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_MARKER_COOKIE}=target;`))).toBe(true);
    expect(await shared.issuerOf(await credentialHash(code))).toBe("target");
    expect((await exchange(router.app, code)).status).toBe(200);
    expect(sawAnywhere("legacy", code)).toBe(false);
  });

  test("the record holds the hash, never the code", async () => {
    const router = await loaded(h.router({ credentials: shared }));
    const code = codeOf(await authorize(router.app));
    expect(await shared.issuerOf(await credentialHash(code))).toBe("target");
    await expect(shared.remember("code", code, "target")).rejects.toThrow();
  });
});

describe("an operator's route token", () => {
  const routes = forceRoutes(PIN_SECRET, { providers: ["legacy", "target"] });

  test("never overrides a learned credential: a code the legacy provider issued is exchanged at legacy even on traffic forced to the target", async () => {
    const router = await loaded(h.router({ credentials: shared }));
    await h.register("initech", [{ kind: "domain", value: "initech.com" }]); // on legacy
    await router.routes.refresh();
    const code = codeOf(await router.app.request("/authorize?login_hint=jane@initech.com&client_id=app&redirect_uri=https://app.example/cb"));
    expect(code).toStartWith("legacy-code-");
    const forced = routes.mint({ provider: "target", organizationId: "acme" }, 60);
    const tokens = await router.app.request("/oauth/token", {
      ...form({ grant_type: "authorization_code", code, redirect_uri: "https://app.example/cb" }),
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa("app:app-secret")}`, "x-ssomig-route": forced },
    });
    expect(tokens.status).toBe(200);
    expect(sawAnywhere("target", code)).toBe(false);
    expect(h.logs.at(-1)).toMatchObject({ kind: "token", provider: "legacy", credential: "learned" });
  });

  test("naming an organization that is not registered is refused (403), so it cannot force unattributed traffic", async () => {
    const router = await loaded(h.router({ credentials: shared }));
    const ghost = routes.mint({ provider: "target", organizationId: "ghost" }, 60);
    const response = await router.app.request("/callback?code=x", { headers: { "x-ssomig-route": ghost } });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe("invalid_route_token");
  });
});

describe("tokens the target issued", () => {
  async function targetTokens(router: ReturnType<RouterHarness["router"]>) {
    const response = await exchange(router.app, codeOf(await authorize(router.app)));
    const tokens = (await response.json()) as { access_token: string; refresh_token: string };
    // The record is written once the body has gone to the client.
    await eventually(async () => shared.issuerOf(await credentialHash(tokens.refresh_token)), (issuer) => issuer === "target", 2000);
    return tokens;
  }

  test("refresh, userinfo, revocation and introspection reach the target only", async () => {
    const router = await loaded(h.router({ credentials: shared }));
    const { access_token, refresh_token } = await targetTokens(router);
    const refreshed = await router.app.request("/oauth/token", form({ grant_type: "refresh_token", refresh_token }));
    expect(refreshed.status).toBe(200);
    expect(await (await router.app.request("/userinfo", { headers: { authorization: `Bearer ${access_token}` } })).json()).toEqual({ provider: "target" });
    expect((await router.app.request("/oauth/revoke", form({ token: refresh_token, token_type_hint: "refresh_token" }))).status).toBe(200);
    expect(await (await router.app.request("/introspect", form({ token: access_token }))).json()).toEqual({ active: true, provider: "target" });
    for (const secret of [access_token, refresh_token]) expect(sawAnywhere("legacy", secret)).toBe(false);
    expect(sawAnywhere("target", refresh_token)).toBe(true);
  });

  test("a JWT access token goes to the provider whose key signed it, with no lookup", async () => {
    const router = await loaded(h.router({ credentials: shared }));
    const jwt = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "ES256", kid: "target-key" }).sign(keys.target);
    const before = router.credentialStats().lookups;
    expect(await (await router.app.request("/userinfo", { headers: { authorization: `Bearer ${jwt}` } })).json()).toEqual({ provider: "target" });
    expect(router.credentialStats().lookups).toEqual(before);
    expect(sawAnywhere("legacy", jwt)).toBe(false);
  });
});

describe("credentials the router never saw issued", () => {
  test("by default they go to the default (legacy) provider only: they predate the proxy", async () => {
    const router = await loaded(h.router({ credentials: shared }));
    const response = await router.app.request("/oauth/token", form({ grant_type: "refresh_token", refresh_token: "legacy-rt-from-before" }));
    expect(response.status).toBe(200);
    expect(sawAnywhere("target", "legacy-rt-from-before")).toBe(false);
    expect(h.logs.at(-1)).toMatchObject({ provider: "legacy", credential: "unknown_default" });
  });

  test("with the record unreachable, the router follows the policy and says so in its stats", async () => {
    const down: CredentialRecord = { kind: "nats", remember: () => Promise.reject(new Error("down")), issuerOf: () => Promise.reject(new Error("down")), available: () => false, close: async () => {} };
    const router = await loaded(h.router({ credentials: down }));
    const code = codeOf(await authorize(router.app));
    expect((await exchange(router.app, code)).status).toBe(400); // legacy never issued it, and says so
    expect(router.credentialStats()).toMatchObject({ available: false, notShared: 1, lookups: { failed: 1 } });
    expect(h.logs.at(-1)).toMatchObject({ provider: "legacy", credential: "record_unavailable" });

    const admin = createAdminApp({ routes: router.routes, metrics: router.metrics, credentials: router.credentialStats });
    const status = (await (await admin.request("/status")).json()) as { credentials: { available: boolean; mode: string } };
    expect(status.credentials).toMatchObject({ available: false, mode: expect.stringContaining("record unreachable") });
    const metrics = await (await admin.request("/metrics")).text();
    expect(metrics).toContain('ssomig_credential_record_up{record="nats"} 0');
    expect(metrics).toContain('ssomig_credential_lookups_total{outcome="failed"} 1');
    expect(metrics).toContain("ssomig_credentials_not_shared_total 1");
  });

  test("a lookup that hangs is given up after the configured timeout", async () => {
    const hanging: CredentialRecord = { kind: "nats", remember: async () => {}, issuerOf: () => new Promise(() => {}), available: () => true, close: async () => {} };
    const router = await loaded(h.router({ credentials: hanging }));
    const started = performance.now();
    const response = await router.app.request("/oauth/token", form({ grant_type: "refresh_token", refresh_token: "legacy-rt-x" }));
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(5000); // bound: the default timeout is 200 ms, not the hang
    expect(router.credentialStats().lookups.failed).toBe(1);
  });
});

describe("NATS goes away under two routers", () => {
  test("each router still routes what it learned itself; the other follows the policy, says so, and shares again once NATS is back", async () => {
    const nats = await natsServer({ jetStream: true });
    const bucketPrefix = unique("ssomig-test-routers");
    const ttlMs = TTLS;
    const records = [0, 1].map((i) => natsCredentialRecord({ url: nats.url, bucketPrefix, ttlMs, name: `router-${i}`, timeoutMs: 500 }));
    try {
      await eventually(async () => records.every((r) => r.available()), Boolean, 10_000);
      const a = await loaded(h.router({ credentials: records[0]! }));
      const b = await loaded(h.router({ credentials: records[1]! }));

      await nats.stop();
      await eventually(async () => records.some((r) => r.available()), (up) => !up, 5000);
      const code = codeOf(await authorize(a.app)); // learned by a, not shared
      expect((await exchange(a.app, code)).status).toBe(200);
      expect(sawAnywhere("legacy", code)).toBe(false);
      const other = codeOf(await authorize(a.app));
      expect((await exchange(b.app, other)).status).toBe(400); // b cannot know: the policy sends it to legacy, which refuses
      expect(h.logs.at(-1)).toMatchObject({ provider: "legacy", credential: "record_unavailable" });
      expect(b.credentialStats()).toMatchObject({ available: false });

      await nats.start();
      await eventually(async () => records.every((r) => r.available()), Boolean, 10_000);
      const shared = codeOf(await authorize(a.app));
      expect((await exchange(b.app, shared)).status).toBe(200);
      expect(sawAnywhere("legacy", shared)).toBe(false);
    } finally {
      for (const record of records) await record.close();
      await nats.close();
    }
  }, 30_000);
});

describe("a record that starts before JetStream can answer", () => {
  test("keeps trying to open its buckets, and shares what it learned meanwhile once they open (it never gives up until a restart)", async () => {
    const nats = await natsServer({ jetStream: false }); // NATS answers, JetStream does not: opening a bucket fails
    const bucketPrefix = unique("ssomig-test-late");
    const errors: unknown[] = [];
    const record = natsCredentialRecord({ url: nats.url, bucketPrefix, ttlMs: TTLS, name: "late", timeoutMs: 500, onError: (error) => errors.push(error) });
    const learned = createHash("sha256").update(unique("code")).digest("hex");
    const other = { record: null as ReturnType<typeof natsCredentialRecord> | null };
    try {
      await eventually(async () => errors.length, (n) => n >= 1, 10_000);
      expect(record.available()).toBe(false);
      await expect(record.remember("code", learned, "target")).rejects.toThrow("not reachable");
      expect(await record.issuerOf(learned, ["code"])).toBe("target"); // its own flows still route

      await nats.stop();
      await nats.start({ jetStream: true });
      await eventually(async () => record.available(), Boolean, 15_000);
      other.record = natsCredentialRecord({ url: nats.url, bucketPrefix, ttlMs: TTLS, name: "other", timeoutMs: 2000 });
      await eventually(async () => other.record!.available(), Boolean, 10_000);
      await eventually(() => other.record!.issuerOf(learned, ["code"]), (p) => p === "target", 10_000);
    } finally {
      await other.record?.close();
      await record.close();
      await nats.close();
    }
  }, 45_000);
});

describe("try-each policy", () => {
  let t: RouterHarness;
  beforeAll(async () => {
    t = await routerHarness({ credentials: { unknownCredentials: "try-each" } });
    t.legacy.handle(provider("legacy"));
    t.target.handle(provider("target"));
  }, 30_000);
  afterAll(() => t.close());

  test("an unknown code goes on to the next provider when the default says invalid_grant", async () => {
    const response = await t.router().app.request("/oauth/token", form({ grant_type: "authorization_code", code: "target-code-from-before-the-proxy" }));
    expect(response.status).toBe(200);
    expect(t.logs.at(-1)).toMatchObject({ provider: "target", credential: "unknown_try_each" });
  });

  test("a default provider that does not answer is given up after its timeout, and the next one asked", async () => {
    const router = t.router();
    t.legacy.handle(() => new Promise<Response>(() => {}));
    try {
      const response = await router.app.request("/oauth/token", form({ grant_type: "refresh_token", refresh_token: "target-rt-silent" }));
      expect(response.status).toBe(200);
      expect(t.logs.at(-1)).toMatchObject({ provider: "target", credential: "unknown_try_each" });
    } finally {
      t.legacy.handle(provider("legacy"));
    }
  });

  test("a default provider that is down is skipped, not fatal", async () => {
    const router = t.router();
    t.legacy.stop();
    const response = await router.app.request("/oauth/token", form({ grant_type: "refresh_token", refresh_token: "target-rt-old" }));
    expect(response.status).toBe(200);
    expect(t.logs.at(-1)).toMatchObject({ provider: "target" });
  });
});

describe("OIDC logout", () => {
  test("by id_token_hint's key id; else by the session marker of the last login; else the default", async () => {
    const router = await loaded(h.router({ credentials: shared }));
    const hint = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "ES256", kid: "target-key" }).sign(keys.target);
    expect(await (await router.app.request(`/logout?id_token_hint=${hint}`)).json()).toMatchObject({ provider: "target" });

    const login = await authorize(router.app);
    const marker = login.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_MARKER_COOKIE}=`))!;
    expect(marker).toMatch(/; Path=\/; Max-Age=\d+; SameSite=Lax; Secure; HttpOnly$/);
    expect(marker).not.toMatch(/domain=/i);
    const cookie = marker.split(";")[0]!;
    expect(await (await router.app.request("/logout", { headers: { cookie } })).json()).toMatchObject({ provider: "target" });
    expect(received.target.at(-1)).not.toContain(SESSION_MARKER_COOKIE);

    expect(await (await router.app.request("/logout")).json()).toMatchObject({ provider: "legacy" });
    expect(await (await router.app.request("/logout", { headers: { cookie: `${SESSION_MARKER_COOKIE}=nobody` } })).json()).toMatchObject({ provider: "legacy" });
  });
});
