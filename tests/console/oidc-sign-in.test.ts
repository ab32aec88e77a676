import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { Hono } from "hono";
import type { ClientMetadata } from "oidc-provider";
import type { Scope } from "../../services/commands/auth.ts";
import { oidcSignInRoutes, type OidcSignInOptions, type Operator } from "../../services/console/oidc-sign-in.ts";
import { STATE_COOKIE, stateCookieCodec } from "../../services/console/oidc-state-cookie.ts";
import { freePort } from "../support/processes.ts";
import { Browser } from "../e2e/support/browser.ts";
import { startCompanyIdp, type CompanyIdp, type Person } from "./support/company-idp.ts";

// An IdP, its keys and a few consoles start once for the file; the default 5 s is tight on a busy machine.
const STARTUP_MS = 60_000;
setDefaultTimeout(20_000);

const MOUNT = "/console/auth/oidc";
const ROLE_MAP = new Map<string, Scope[]>([
  ["ssomig-admins", ["admin"]],
  ["ssomig-operators", ["migrations:write"]],
  ["ssomig-viewers", ["migrations:read"]],
]);
const PEOPLE: Record<string, Person> = {
  alice: { email: "Alice@Corp.test", emailVerified: true, name: "Alice Ops", groups: ["marketing", "ssomig-operators", "ssomig-viewers"] },
  bob: { email: "bob@corp.test", emailVerified: false, groups: ["ssomig-admins"] },
  mallory: { email: "mallory@corp.test", emailVerified: true, groups: ["marketing"] },
};
const CONFIDENTIAL = { id: "ssomig-console", secret: `console-secret-${crypto.randomUUID()}` };
const PUBLIC_CLIENT = "ssomig-console-public";
const COOKIE_SECRET = `cookie-secret-${crypto.randomUUID()}`;
const TIMEOUT_MS = 1000;

/** A console serving only the OIDC routes, as the console mounts them; what `signedIn` received, what it logged. */
type TestConsole = { origin: string; signedIn: Operator[]; logs: Record<string, unknown>[]; skewMs: number; close(): Promise<void> };

/** Every value no log line and no page may carry. */
const secrets = new Set<string>([CONFIDENTIAL.secret, COOKIE_SECRET]);

let idp: CompanyIdp;
/** The redirect URL registered for the confidential client: every console but the public one uses it. */
let mainCallback: string;
let main: TestConsole;
let publicConsole: TestConsole;

/** A listening console; its routes are built once its address (the redirect URL to register) is known. */
async function listen(): Promise<{ origin: string; serve(app: Hono): void; close(): Promise<void> }> {
  let app: Hono | null = null;
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => (app ? app.fetch(request) : new Response("starting", { status: 503 })) });
  return { origin: `http://127.0.0.1:${server.port}`, serve: (built) => void (app = built), close: () => server.stop(true) };
}

async function consoleFor(listening: Awaited<ReturnType<typeof listen>>, options: Partial<OidcSignInOptions> & { redirectUrl?: string }): Promise<TestConsole> {
  const signedIn: Operator[] = [];
  const logs: Record<string, unknown>[] = [];
  const tc: TestConsole = { origin: listening.origin, signedIn, logs, skewMs: 0, close: listening.close };
  const root = new Hono();
  root.route(
    MOUNT,
    oidcSignInRoutes({
      issuer: idp.issuer,
      clientId: CONFIDENTIAL.id,
      clientSecret: CONFIDENTIAL.secret,
      redirectUrl: mainCallback,
      scopes: ["openid", "email", "profile", "groups"],
      rolesClaim: "groups",
      roleMap: ROLE_MAP,
      cookieSecret: COOKIE_SECRET,
      timeoutMs: TIMEOUT_MS,
      log: (entry) => logs.push(entry),
      now: () => Date.now() + tc.skewMs,
      signedIn: (c, operator) => {
        signedIn.push(operator);
        return c.text(`welcome ${operator.subject}`);
      },
      ...options,
    }),
  );
  listening.serve(root);
  return tc;
}

beforeAll(async () => {
  const mainListening = await listen();
  const publicListening = await listen();
  const clients: ClientMetadata[] = [
    { client_id: CONFIDENTIAL.id, client_secret: CONFIDENTIAL.secret, redirect_uris: [`${mainListening.origin}${MOUNT}/callback`], grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic" },
    { client_id: PUBLIC_CLIENT, redirect_uris: [`${publicListening.origin}${MOUNT}/callback`], grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "none" },
  ];
  idp = await startCompanyIdp({ people: PEOPLE, clients });
  mainCallback = `${mainListening.origin}${MOUNT}/callback`;
  main = await consoleFor(mainListening, {});
  publicConsole = await consoleFor(publicListening, { clientId: PUBLIC_CLIENT, clientSecret: undefined, redirectUrl: `${publicListening.origin}${MOUNT}/callback` });
}, STARTUP_MS);

afterAll(async () => {
  await main?.close();
  await publicConsole?.close();
  await idp?.close();
}, STARTUP_MS);

const isCallback = (url: URL) => url.pathname === `${MOUNT}/callback`;

/** From the console's sign-in link through the IdP's login and consent pages, until the IdP sends the browser back. */
async function throughIdp(browser: Browser, console: TestConsole, user: string): Promise<URL> {
  let result = await browser.navigate(`${console.origin}${MOUNT}/login`, {}, isCallback);
  for (let page = 0; !result.stoppedAt && page < 4; page++) {
    const html = await result.response.text();
    if (result.response.status !== 200) throw new Error(`${result.url} answered ${result.response.status}: ${html.slice(0, 500)}`);
    const fields: Record<string, string> = html.includes('name="login"') ? { login: user, password: "any" } : {};
    result = await browser.submit({ html, url: result.url }, fields, isCallback);
  }
  if (!result.stoppedAt) throw new Error("the IdP never sent the browser back to the console");
  const callback = result.stoppedAt;
  for (const name of ["code", "state"]) secrets.add(callback.searchParams.get(name)!);
  secrets.add(browser.jar.get(new URL(console.origin).host, STATE_COOKIE)!);
  return callback;
}

/**
 * The browser opens `url`; or, with `at`, the same path and query are sent to that console (another
 * replica, maybe) with exactly `cookie` (null: none). Its page never carries a secret.
 */
async function deliver(browser: Browser, url: URL, at?: { console: TestConsole; cookie: string | null }): Promise<{ response: Response; body: string }> {
  const response = at
    ? await fetch(new URL(url.pathname + url.search, at.console.origin), { headers: at.cookie ? { cookie: at.cookie } : {}, redirect: "manual" })
    : await browser.request(url);
  const body = await response.text();
  for (const secret of secrets) expect(body).not.toContain(secret);
  return { response, body };
}

function expectNoSecretLogged(console: TestConsole) {
  const logged = JSON.stringify(console.logs);
  for (const secret of secrets) expect(logged).not.toContain(secret);
}

const grants = (kind: string) => idp.events.filter((e) => e === kind).length;

describe("signing in at the company IdP", () => {
  test("authorization code + PKCE (S256), state and nonce; groups become scopes and the verified email the actor", async () => {
    const browser = new Browser();
    const callback = await throughIdp(browser, main, "alice");
    const authorize = new URL(browser.hops.find((hop) => hop.url.startsWith(idp.issuer))!.url);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get("nonce")).toMatch(/.{20,}/);
    expect(authorize.searchParams.get("state")).toBe(callback.searchParams.get("state"));
    expect(authorize.searchParams.get("scope")).toBe("openid email profile groups");
    const cookie = browser.jar.attributes(new URL(main.origin).host, STATE_COOKIE)!;
    expect(cookie).toMatchObject({ path: MOUNT, secure: true, httpOnly: true, sameSite: "Lax" });
    expect(cookie.expires! - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(cookie.expires! - Date.now()).toBeLessThanOrEqual(10 * 60_000);

    const before = grants("grant.success");
    const { response, body } = await deliver(browser, callback);
    expect(response.status).toBe(200);
    expect(body).toBe("welcome alice@corp.test");
    expect(main.signedIn.at(-1)).toEqual({ subject: "alice@corp.test", name: "Alice Ops", scopes: new Set<Scope>(["migrations:write", "migrations:read"]) });
    expect(grants("grant.success")).toBe(before + 1);
    expect(idp.requests.at(-1)).toBe("GET /me"); // this IdP releases email and groups through userinfo only
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(browser.jar.get(new URL(main.origin).host, STATE_COOKIE)).toBeUndefined();
    expect(main.logs.at(-1)).toMatchObject({ msg: "console sign-in", subject: "alice@corp.test", scopes: ["migrations:write", "migrations:read"] });
    expectNoSecretLogged(main);
  });

  test("this IdP requires PKCE: the same authorization request without a code challenge is refused", async () => {
    const browser = new Browser();
    const login = await browser.request(`${main.origin}${MOUNT}/login`);
    const withoutPkce = new URL(login.headers.get("location")!);
    withoutPkce.searchParams.delete("code_challenge");
    withoutPkce.searchParams.delete("code_challenge_method");
    const { stoppedAt } = await browser.navigate(withoutPkce, {}, isCallback);
    expect(stoppedAt?.searchParams.get("error")).toBe("invalid_request");
    expect(stoppedAt?.searchParams.get("error_description")).toContain("PKCE");
  });

  test("a public client (no secret) signs in with PKCE alone; an unverified email is not the actor, the issuer-qualified sub is", async () => {
    const browser = new Browser();
    const callback = await throughIdp(browser, publicConsole, "bob");
    const { response } = await deliver(browser, callback);
    expect(response.status).toBe(200);
    expect(publicConsole.signedIn.at(-1)).toEqual({ subject: `${idp.issuer}#bob`, scopes: new Set<Scope>(["admin"]) });
    expectNoSecretLogged(publicConsole);
  });

  test("a person none of whose groups is mapped is refused with 403, and signedIn is never called", async () => {
    const browser = new Browser();
    const callback = await throughIdp(browser, main, "mallory");
    const count = main.signedIn.length;
    const { response, body } = await deliver(browser, callback);
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(body).toContain("No access to this console");
    expect(main.signedIn.length).toBe(count);
    expect(main.logs.at(-1)).toMatchObject({ msg: "console sign-in refused", reason: "no_role", subject: "mallory@corp.test" });
    expect(browser.jar.get(new URL(main.origin).host, STATE_COOKIE)).toBeUndefined();
    expectNoSecretLogged(main);
  });

  test("cancelling at the IdP (error=access_denied) shows a 403 page, without the IdP's text", async () => {
    const browser = new Browser();
    const page = await browser.navigate(`${main.origin}${MOUNT}/login`, {}, isCallback);
    const cancel = /href="([^"]*\/abort)"/.exec(await page.response.text())![1]!;
    const { stoppedAt } = await browser.navigate(new URL(cancel, page.url), {}, isCallback);
    expect(stoppedAt!.searchParams.get("error")).toBe("access_denied");
    const { response, body } = await deliver(browser, stoppedAt!);
    expect(response.status).toBe(403);
    expect(body).toContain("Sign-in cancelled");
    expect(body).not.toContain(stoppedAt!.searchParams.get("error_description")!);
    expect(body).toContain('href="login"');
  });
});

describe("an IdP that puts email and groups in the ID token", () => {
  test("the operator comes from the ID token alone: userinfo is not asked", async () => {
    const listening = await listen();
    const redirectUrl = `${listening.origin}${MOUNT}/callback`;
    const generous = await startCompanyIdp({
      people: PEOPLE,
      claimsInIdToken: true,
      clients: [{ client_id: CONFIDENTIAL.id, client_secret: CONFIDENTIAL.secret, redirect_uris: [redirectUrl], grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic" }],
    });
    try {
      const tc = await consoleFor(listening, { issuer: generous.issuer, redirectUrl });
      const browser = new Browser();
      const { response } = await deliver(browser, await throughIdp(browser, tc, "alice"));
      expect(response.status).toBe(200);
      expect(tc.signedIn).toEqual([{ subject: "alice@corp.test", name: "Alice Ops", scopes: new Set<Scope>(["migrations:write", "migrations:read"]) }]);
      expect(generous.requests.filter((r) => r.startsWith("POST /token"))).toHaveLength(1);
      expect(generous.requests.filter((r) => r.includes("/me"))).toEqual([]);
    } finally {
      await listening.close();
      await generous.close();
    }
  });
});

describe("answers that do not belong to this browser's sign-in", () => {
  test("a forged state, or no sign-in cookie, is refused with 400 before any code reaches the IdP", async () => {
    const browser = new Browser();
    const callback = await throughIdp(browser, main, "alice");
    const tokenRequests = grants("grant.success") + idp.events.filter((e) => e.startsWith("grant.error")).length;
    const forged = new URL(callback);
    forged.searchParams.set("state", "attacker-chosen-state");
    const cookie = browser.jar.header(callback);
    const bad = await deliver(browser, forged, { console: main, cookie });
    expect(bad.response.status).toBe(400);
    expect(bad.body).toContain("belongs to another sign-in");
    const none = await deliver(browser, callback, { console: main, cookie: null });
    expect(none.response.status).toBe(400);
    expect(none.body).toContain("No sign-in in progress");
    const garbled = await deliver(browser, callback, { console: main, cookie: `${STATE_COOKIE}=not-a-sealed-state` });
    expect(garbled.response.status).toBe(400);
    expect(grants("grant.success") + idp.events.filter((e) => e.startsWith("grant.error")).length).toBe(tokenRequests);
    expect(main.logs.slice(-3).map((l) => l.reason)).toEqual(["bad_state", "no_sign_in", "bad_state"]);
  });

  test("a replayed callback is refused: on the same console by its spent state, on another replica by the IdP's spent code", async () => {
    const browser = new Browser();
    const callback = await throughIdp(browser, main, "alice");
    const cookie = browser.jar.header(callback);
    const count = main.signedIn.length;
    expect((await deliver(browser, callback, { console: main, cookie })).response.status).toBe(200);
    const again = await deliver(browser, callback, { console: main, cookie });
    expect(again.response.status).toBe(400);
    expect(again.body).toContain("already been used");

    // Another API replica sharing the cookie key has not seen this state: the IdP refuses the spent code.
    const replica = await consoleFor(await listen(), {});
    try {
      const invalidGrants = grants("grant.error:invalid_grant");
      const elsewhere = await deliver(browser, callback, { console: replica, cookie });
      expect(elsewhere.response.status).toBe(400);
      expect(elsewhere.body).toContain("refused the sign-in code");
      expect(grants("grant.error:invalid_grant")).toBe(invalidGrants + 1);
      expect(replica.signedIn).toEqual([]);
      expectNoSecretLogged(replica);
    } finally {
      await replica.close();
    }
    expect(main.signedIn.length).toBe(count + 1);
  });

  test("an answer more than 10 minutes after the sign-in started is refused as expired", async () => {
    const browser = new Browser();
    const callback = await throughIdp(browser, main, "alice");
    main.skewMs = 10 * 60_000 + 1000;
    try {
      const { response, body } = await deliver(browser, callback);
      expect(response.status).toBe(400);
      expect(body).toContain("within 10 minutes");
    } finally {
      main.skewMs = 0;
    }
  });

  test("an ID token issued with another nonce is refused (openid-client checks it against the cookie's)", async () => {
    const browser = new Browser();
    const callback = await throughIdp(browser, main, "alice");
    const codec = await stateCookieCodec(COOKIE_SECRET);
    const flow = await codec.open(browser.jar.get(new URL(main.origin).host, STATE_COOKIE), Date.now());
    if (typeof flow === "string") throw new Error(`the state cookie did not open: ${flow}`);
    const swapped = await codec.seal({ ...flow, nonce: "a-nonce-from-another-sign-in" }, Date.now());
    const count = main.signedIn.length;
    const { response, body } = await deliver(browser, callback, { console: main, cookie: `${STATE_COOKIE}=${swapped}` });
    expect(response.status).toBe(400);
    expect(body).toContain("was not issued for the sign-in this browser started");
    expect(main.signedIn.length).toBe(count);
    expect(main.logs.at(-1)).toMatchObject({ reason: "nonce_mismatch" });
  });
});

describe("an IdP that does not answer", () => {
  test("silent at discovery and at the code exchange: a 504 page within the timeout; sign-in works again once it answers", async () => {
    const fresh = await consoleFor(await listen(), {}); // has not discovered the IdP yet
    try {
      idp.proxy.blackhole();
      let started = performance.now();
      const atLogin = await deliver(new Browser(), new URL(`${fresh.origin}${MOUNT}/login`));
      expect(atLogin.response.status).toBe(504);
      expect(atLogin.body).toContain("Identity provider not answering");
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
      expect(fresh.logs.at(-1)).toMatchObject({ reason: "idp_timeout", step: "discovery" });

      idp.proxy.resume();
      const browser = new Browser();
      const callback = await throughIdp(browser, fresh, "alice"); // discovery is retried
      const cookie = browser.jar.header(new URL(`${MOUNT}/callback`, fresh.origin)); // it shares main's redirect URL
      idp.proxy.blackhole();
      started = performance.now();
      const atExchange = await deliver(browser, callback, { console: fresh, cookie });
      expect(atExchange.response.status).toBe(504);
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
      expect(fresh.logs.at(-1)).toMatchObject({ reason: "idp_timeout", step: "code exchange" });
      expect(fresh.signedIn).toEqual([]);
      expectNoSecretLogged(fresh);
    } finally {
      idp.proxy.resume();
      await fresh.close();
    }
    const browser = new Browser();
    expect((await deliver(browser, await throughIdp(browser, main, "alice"))).response.status).toBe(200);
  });

  test("unreachable (nothing listening): a 502 page at once", async () => {
    const nowhere = await consoleFor(await listen(), { issuer: `http://127.0.0.1:${await freePort()}` });
    try {
      const started = performance.now();
      const { response, body } = await deliver(new Browser(), new URL(`${nowhere.origin}${MOUNT}/login`));
      expect(response.status).toBe(502);
      expect(body).toContain("could not reach the identity provider");
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS);
      expect(nowhere.logs.at(-1)).toMatchObject({ reason: "idp_unreachable", step: "discovery" });
    } finally {
      await nowhere.close();
    }
  });
});
