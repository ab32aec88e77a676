import { cleanupsAfterEachTest } from "./support/after-this-test.ts";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createRemoteJWKSet, importJWK, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { PIN_COOKIE } from "../../services/router/pin-cookie.ts";
import type { Browser } from "./support/browser.ts";
import { API_RESOURCE } from "./support/openid-provider.ts";
import { APP, APP_JWT, M2M_ACME, OidcLogin, startOidcWorld, type OidcWorld, type ProviderId } from "./support/oidc-world.ts";
import { leakedInto } from "./support/router-cluster.ts";

// Servers, keys and a database start once per file; the default 5 s is tight for that on a busy
// 2-core machine (bunfig's [test] timeout is not read by bun test: --timeout or this is).
const STARTUP_MS = 60_000;
setDefaultTimeout(20_000);

/**
 * Real OpenID Connect through the proxy: two node-oidc-provider instances as the legacy and the
 * target provider, the application as an openid-client relying party, a browser driving the
 * providers' own login and consent pages. Every hop of a login goes through the router.
 */
let world: OidcWorld;
let app: oidc.Configuration;
/** Every code, token, assertion and cookie value seen: none may appear in the router's logs. */
const secrets = new Set<string>([APP.secret, M2M_ACME.secret]);
/** Each credential a provider issued, with that provider: no other provider may ever receive it. */
const issued: { provider: ProviderId; values: string[] }[] = [];

beforeAll(async () => {
  world = await startOidcWorld();
  await world.cluster.register("acme", [
    { kind: "domain", value: "acme.com" },
    { kind: "client_id", value: M2M_ACME.id },
  ]);
  for (const org of ["globex", "initech", "umbrella"]) await world.cluster.register(org, [{ kind: "domain", value: `${org}.com` }]);
  app = await world.relyingParty();
}, STARTUP_MS);

afterAll(async () => {
  await world?.close();
}, STARTUP_MS);

const afterThisTest = cleanupsAfterEachTest();

/** A complete login: authorize, the provider's pages, back to the app, code exchange, userinfo. */
async function logIn(user: string, options: { browser?: Browser; config?: oidc.Configuration } = {}) {
  const config = options.config ?? app;
  const login = new OidcLogin(config, options.browser ?? world.browser());
  await login.start({ login_hint: user });
  const callback = await login.finish(user);
  const tokens = await login.exchange();
  remember(login, tokens);
  return { login, callback, tokens, claims: tokens.claims()!, signer: world.signer(tokens.id_token!) };
}

function remember(login: OidcLogin, tokens?: { access_token: string; id_token?: string; refresh_token?: string }) {
  const code = login.code;
  if (tokens?.id_token) issued.push({ provider: world.signer(tokens.id_token) as ProviderId, values: [code, tokens.access_token, tokens.refresh_token, tokens.id_token].filter((v): v is string => !!v) });
  // A cookie value that is also a segment of a path the browser visited (oidc-provider's
  // interaction uid) is public in that URL; the router logs paths.
  const inPaths = new Set(login.browser.hops.flatMap((hop) => new URL(hop.url).pathname.split("/")));
  const cookies = login.browser.jar.values().filter((value) => !inPaths.has(value));
  for (const value of [login.code, tokens?.access_token, tokens?.id_token, tokens?.refresh_token, ...cookies]) {
    if (value) secrets.add(value);
  }
}

/** The requests `provider` received that contain `value` anywhere (URL, headers, body). */
function deliveredTo(provider: ProviderId, value: string) {
  return world.cluster.deliveries.filter((d) => d.provider === provider && (d.url.includes(value) || d.body.includes(value) || d.headers.some(([, v]) => v.includes(value)))).map((d) => `${d.method} ${new URL(d.url).pathname}`);
}

const otherThan = (provider: ProviderId): ProviderId => (provider === "legacy" ? "target" : "legacy");

async function m2mToken(): Promise<{ signer: ProviderId | "unknown"; token: string }> {
  const config = await world.relyingParty({ clientId: M2M_ACME.id, auth: oidc.ClientSecretBasic(M2M_ACME.secret) });
  const { access_token: token } = await oidc.clientCredentialsGrant(config, { resource: API_RESOURCE });
  secrets.add(token);
  return { signer: world.signer(token), token };
}

describe("1. an organization on legacy, and an unknown one", () => {
  test("discovery through the router names the router's endpoints and its merged JWKS of both providers", async () => {
    const metadata = app.serverMetadata();
    expect(metadata.issuer).toBe(world.issuer);
    expect(metadata.authorization_endpoint).toBe(`${world.issuer}/authorize`);
    expect(metadata.token_endpoint).toBe(`${world.issuer}/token`);
    expect(metadata.jwks_uri).toBe(`${world.issuer}/.well-known/jwks.json`);
    const jwks = (await (await fetch(metadata.jwks_uri!)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual(["legacy-signing-key", "target-signing-key"]);
  });

  test("logs in through legacy: every hop through the router, the flow pinned, the ID token verified against the merged JWKS", async () => {
    const { login, callback, tokens, claims, signer } = await logIn("alice@acme.com");
    expect(signer).toBe("legacy");
    expect(claims.sub).toBe("alice@acme.com");
    expect(callback.searchParams.get("iss")).toBe(world.issuer);
    expect(login.browser.hops.length).toBeGreaterThanOrEqual(5);
    for (const hop of login.browser.hops) expect(new URL(hop.url).origin).toBe(world.issuer);
    expect(login.browser.jar.attributes(world.cluster.publicHost, PIN_COOKIE)).toMatchObject({ path: "/", secure: true, httpOnly: true, sameSite: "None" });
    const { payload } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(app.serverMetadata().jwks_uri!)), { issuer: world.issuer, audience: APP.id });
    expect(payload.sub).toBe("alice@acme.com");
    const userinfo = await oidc.fetchUserInfo(app, tokens.access_token, claims.sub);
    expect(userinfo.email).toBe("alice@acme.com");
    expect(world.providers.target.events).not.toContain("authorization.success");
  });

  test("an organization the router does not know logs in at the default provider", async () => {
    const { signer, claims } = await logIn("bob@unknown-customer.test");
    expect(signer).toBe("legacy");
    expect(claims.sub).toBe("bob@unknown-customer.test");
    expect(world.cluster.logs.some((e) => e.path === "/authorize" && e.signal === "default" && e.provider === "legacy")).toBe(true);
  });

  test("client_credentials reaches the provider of the client's organization", async () => {
    const { signer, token } = await m2mToken();
    expect(signer).toBe("legacy");
    const { payload } = await jwtVerify(token, await importJWK(world.publicJwks.legacy, "RS256"), { issuer: world.issuer, audience: API_RESOURCE });
    expect(payload.client_id).toBe(M2M_ACME.id);
  });
});

describe("2. migrate, then roll back", () => {
  test("after migrate the next login completes at target (its code never shown to legacy), M2M and refresh go to target; after rollback, legacy again", async () => {
    await world.cluster.migrate("acme");
    afterThisTest(() => world.cluster.restore("acme", "legacy"));
    expect([world.cluster.providerOf("acme", 0), world.cluster.providerOf("acme", 1)]).toEqual(["target", "target"]);
    const legacyErrorsBefore = world.providers.legacy.events.filter((e) => e === "grant.error:invalid_grant").length;

    const migrated = await logIn("alice@acme.com");
    expect(migrated.signer).toBe("target");
    // The router learned from target's redirect that the code is target's: legacy never sees it.
    expect(world.providers.legacy.events.filter((e) => e === "grant.error:invalid_grant").length).toBe(legacyErrorsBefore);
    expect(deliveredTo("legacy", migrated.login.callback!.searchParams.get("code")!)).toEqual([]);
    await jwtVerify(migrated.tokens.id_token!, createRemoteJWKSet(new URL(app.serverMetadata().jwks_uri!)), { issuer: world.issuer, audience: APP.id });
    const refreshed = await oidc.refreshTokenGrant(app, migrated.tokens.refresh_token!);
    secrets.add(refreshed.access_token).add(refreshed.refresh_token ?? refreshed.access_token);
    issued.push({ provider: "target", values: [refreshed.access_token, refreshed.refresh_token ?? refreshed.access_token] });
    expect(world.signer(refreshed.id_token!)).toBe("target");
    expect((await m2mToken()).signer).toBe("target");
    expect((await logIn("carol@unknown-customer.test")).signer).toBe("legacy");

    await world.cluster.rollBack("acme");
    expect((await logIn("alice@acme.com")).signer).toBe("legacy");
    expect((await m2mToken()).signer).toBe("legacy");
  });
});

describe("3. a login in flight during a migration or a rollback", () => {
  for (const [before, change] of [["legacy", "migrate"], ["target", "roll back"]] as const) {
    test(`a login started on ${before} before a ${change} completes on ${before}`, async () => {
      afterThisTest(() => world.cluster.restore("globex", "legacy"));
      if (before === "target") await world.cluster.migrate("globex");
      const login = new OidcLogin(app, world.browser());
      await login.start({ login_hint: "dana@globex.com" });
      if (change === "migrate") await world.cluster.migrate("globex");
      else await world.cluster.rollBack("globex");
      expect(world.cluster.providerOf("globex")).toBe(otherThan(before));
      await login.finish("dana@globex.com");
      const tokens = await login.exchange();
      remember(login, tokens);
      expect(world.signer(tokens.id_token!)).toBe(before);
      // The next login follows the route table.
      expect((await logIn("dana@globex.com")).signer).toBe(otherThan(before));
    });
  }
});

describe("4. two router instances", () => {
  test("a login that starts on one instance and returns through the other completes where it started", async () => {
    await world.cluster.migrate("initech");
    afterThisTest(() => world.cluster.restore("initech", "legacy"));
    let instance = 0;
    const browser = world.browser(() => instance);
    const rp = await world.relyingParty({ instance: () => instance });
    const login = new OidcLogin(rp, browser);
    await login.start({ login_hint: "erin@initech.com" });
    // Rolled back while the user is on the target's login page: only the pin, read by the other instance, keeps the flow on target.
    await world.cluster.rollBack("initech");
    instance = 1;
    await login.finish("erin@initech.com");
    const tokens = await login.exchange();
    remember(login, tokens);
    expect(world.signer(tokens.id_token!)).toBe("target");
    const started = world.cluster.logs.filter((e) => e.path === "/authorize" && e.organization === "initech");
    const finished = world.cluster.logs.filter((e) => e.instance === 1 && e.organization === "initech" && e.pinned === true);
    expect(started.map((e) => [e.instance, e.provider])).toEqual([[0, "target"]]);
    expect(finished.length).toBeGreaterThanOrEqual(3);
    expect(finished.every((e) => e.provider === "target")).toBe(true);
    // The refresh token the target issued through instance 1 is refreshed through instance 0, at target.
    instance = 0;
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    issued.push({ provider: "target", values: [refreshed.access_token, refreshed.refresh_token!] });
    secrets.add(refreshed.access_token).add(refreshed.refresh_token!);
    expect(world.signer(refreshed.id_token!)).toBe("target");
    expect(world.cluster.logs.filter((e) => e.kind === "token" && e.instance === 0).at(-1)).toMatchObject({ provider: "target", credential: "learned" });
  });
});

describe("5. a tampered message", () => {
  test("a client assertion with one byte changed is refused by the providers; the router answers with their refusal and keeps working", async () => {
    const rp = await world.relyingParty({ clientId: APP_JWT, auth: oidc.PrivateKeyJwt(world.clientKey.privateKey) });
    const honest = rp[oidc.customFetch]!;
    let tamper = true;
    rp[oidc.customFetch] = async (url, options) => {
      const body = options.body instanceof URLSearchParams ? options.body : null;
      const assertion = body?.get("client_assertion");
      if (assertion) {
        secrets.add(assertion);
        if (tamper) body!.set("client_assertion", flipOneCharacter(assertion));
      }
      return honest(url, options);
    };
    const login = new OidcLogin(rp, world.browser());
    await login.start({ login_hint: "frank@umbrella.com" });
    await login.finish("frank@umbrella.com");
    remember(login);
    const refusalsBefore = world.providers.legacy.events.filter((e) => e === "grant.error:invalid_client").length;

    const refused = await login.exchange().then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(oidc.ResponseBodyError);
    expect((refused as oidc.ResponseBodyError).error).toBe("invalid_client");
    expect((refused as oidc.ResponseBodyError).status).toBe(401);
    expect(world.providers.legacy.events.filter((e) => e === "grant.error:invalid_client").length).toBe(refusalsBefore + 1);

    // The same code with an honest assertion: the refusal was the signature's, nothing else's.
    tamper = false;
    const tokens = await login.exchange();
    remember(login, tokens);
    expect(world.signer(tokens.id_token!)).toBe("legacy");
    expect(world.cluster.errors()).toEqual([]);
  });
});

/** Requests that name no organization, and pins that outlive their flow. */
describe("credentials and stale pins", () => {
  // userinfo carries only a bearer token: the router learned from target's token answer that it is target's.
  test("userinfo answers for an access token the target issued", async () => {
    await world.cluster.migrate("umbrella");
    afterThisTest(() => world.cluster.restore("umbrella", "legacy"));
    const { tokens, claims, signer } = await logIn("gina@umbrella.com");
    expect(signer).toBe("target");

    const userinfo = await oidc.fetchUserInfo(app, tokens.access_token, claims.sub);
    expect(userinfo.email).toBe("gina@umbrella.com");
  });

  // The pin of the previous login (15 minutes) still names the organization, so a new
  // authorize request is pinned to the provider that was rolled back from, and re-pinned there.
  test("a user who logged in at target minutes before a rollback logs in at legacy after it", async () => {
    await world.cluster.migrate("umbrella");
    afterThisTest(() => world.cluster.restore("umbrella", "legacy"));
    const browser = world.browser();
    expect((await logIn("hank@umbrella.com", { browser })).signer).toBe("target");
    await world.cluster.rollBack("umbrella");
    expect((await logIn("hank@umbrella.com", { browser })).signer).toBe("legacy");
  });
});

describe("credentials reach only the provider that issued them", () => {
  test("a code handed to the application by a form_post page is learned too, and exchanged at target only", async () => {
    await world.cluster.migrate("globex");
    afterThisTest(() => world.cluster.restore("globex", "legacy"));
    const login = new OidcLogin(app, world.browser());
    await login.start({ login_hint: "kim@globex.com", response_mode: "form_post" });
    await login.finish("kim@globex.com");
    expect(login.formPost?.get("code")).toBeTruthy();
    expect(login.callback!.search).toBe(""); // the code is in the posted form, not the URL
    const tokens = await login.exchange();
    remember(login, tokens);
    expect(world.signer(tokens.id_token!)).toBe("target");
    expect(deliveredTo("legacy", login.code!)).toEqual([]);
    expect(world.cluster.logs.filter((e) => e.kind === "token").at(-1)).toMatchObject({ provider: "target", credential: "learned" });
  });

  test("a router restarted between the callback and the code exchange still sends the code to target only", async () => {
    await world.cluster.migrate("globex");
    afterThisTest(() => world.cluster.restore("globex", "legacy"));
    const login = new OidcLogin(app, world.browser());
    await login.start({ login_hint: "jill@globex.com" });
    await login.finish("jill@globex.com");
    await world.cluster.restart(0); // what instance 0 learned in memory is gone; NATS KV still has it
    const tokens = await login.exchange();
    remember(login, tokens);
    expect(world.signer(tokens.id_token!)).toBe("target");
    expect(deliveredTo("legacy", login.code!)).toEqual([]);
    expect(world.cluster.logs.filter((e) => e.kind === "token").at(-1)).toMatchObject({ provider: "target", credential: "learned" });
  });

  test("with the legacy provider stopped, an organization on target logs in, refreshes, reads userinfo, introspects and revokes", async () => {
    await world.cluster.migrate("umbrella");
    afterThisTest(() => world.cluster.restore("umbrella", "legacy"));
    await world.providers.legacy.stop();
    afterThisTest(() => world.providers.legacy.start());
    const { tokens, claims, signer } = await logIn("kate@umbrella.com");
    expect(signer).toBe("target");
    expect((await oidc.fetchUserInfo(app, tokens.access_token, claims.sub)).email).toBe("kate@umbrella.com");
    const refreshed = await oidc.refreshTokenGrant(app, tokens.refresh_token!);
    issued.push({ provider: "target", values: [refreshed.access_token, refreshed.refresh_token!] });
    secrets.add(refreshed.access_token).add(refreshed.refresh_token!);
    expect(world.signer(refreshed.id_token!)).toBe("target");
    expect((await oidc.tokenIntrospection(app, refreshed.access_token)).active).toBe(true);
    // Revocation reaches the issuer: target forgets the token (before, it went to the default and target kept it).
    await oidc.tokenRevocation(app, refreshed.refresh_token!);
    const afterRevocation = await oidc.refreshTokenGrant(app, refreshed.refresh_token!).then(() => "still valid", (error: oidc.ResponseBodyError) => error.error);
    expect(afterRevocation).toBe("invalid_grant");
    expect(world.cluster.errors()).toEqual([]);
  });

  test("an RP-initiated logout after the pin expired: by id_token_hint's key, else by the session marker of the last login", async () => {
    await world.cluster.migrate("initech");
    afterThisTest(() => world.cluster.restore("initech", "legacy"));
    const { tokens, login } = await logIn("liam@initech.com");
    const end = new URL(app.serverMetadata().end_session_endpoint!);
    const logoutsSince = (before: number) => world.cluster.deliveries.slice(before).filter((d) => new URL(d.url).pathname === end.pathname).map((d) => d.provider);

    // Another browser (no pin, no marker), with the hint: the ID token's kid names target.
    let before = world.cluster.deliveries.length;
    const hinted = new URL(end);
    hinted.searchParams.set("id_token_hint", tokens.id_token!);
    expect((await world.browser().navigate(hinted, {}, () => true)).response.status).toBeLessThan(500);
    expect(logoutsSince(before)).toEqual(["target"]);

    // The same browser once its pin has expired, without a hint: the session marker names target.
    login.browser.jar.store(new URL(world.issuer), `${PIN_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly`);
    expect(login.browser.jar.get(world.cluster.publicHost, PIN_COOKIE)).toBeUndefined();
    before = world.cluster.deliveries.length;
    expect((await login.browser.navigate(end, {}, () => true)).response.status).toBeLessThan(500);
    expect(logoutsSince(before)).toEqual(["target"]);
    expect(world.cluster.deliveries.slice(before).every((d) => !d.headers.some(([name, value]) => name === "cookie" && value.includes("__Host-ssomig-")))).toBe(true);
  });

  test("no provider ever received a code or token another provider issued", () => {
    expect(issued.filter((flow) => flow.provider === "target").length).toBeGreaterThanOrEqual(4);
    expect(issued.filter((flow) => flow.provider === "legacy").length).toBeGreaterThanOrEqual(4);
    const disclosed = issued.flatMap((flow) => flow.values.flatMap((value) => deliveredTo(otherThan(flow.provider), value).map((hop) => `${flow.provider}'s credential at ${otherThan(flow.provider)}: ${hop}`)));
    expect(disclosed).toEqual([]);
    // Every token-endpoint request carrying the app's secret went to the provider that issued what it exchanged.
    expect(world.cluster.deliveries.filter((d) => d.body.includes(APP.secret)).length).toBeGreaterThan(8);
  });
});

describe("what the router logs", () => {
  test("no code, token, client secret, client assertion or cookie value appears in the router's logs", async () => {
    // Material of its own, so the check means something when it runs alone; the rest comes from the tests above.
    await logIn("ivan@acme.com");
    await m2mToken();
    expect(secrets.size).toBeGreaterThan(8);
    expect(world.cluster.logs.length).toBeGreaterThan(10);
    expect(leakedInto(world.cluster.logs, [...secrets])).toEqual([]);
    expect(world.cluster.errors()).toEqual([]);
    expect(world.providers.legacy.events).not.toContain("server_error");
    expect(world.providers.target.events).not.toContain("server_error");
  });
});

/** One character of a JWT's signature replaced: one byte different on the wire. */
function flipOneCharacter(jwt: string): string {
  const at = jwt.lastIndexOf(".") + 10;
  return jwt.slice(0, at) + (jwt[at] === "A" ? "B" : "A") + jwt.slice(at + 1);
}
