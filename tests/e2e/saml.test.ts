import { cleanupsAfterEachTest } from "./support/after-this-test.ts";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { PIN_COOKIE } from "../../services/router/pin-cookie.ts";
import type { Browser } from "./support/browser.ts";
import { leakedInto } from "./support/router-cluster.ts";
import type { PostedMessage } from "./support/saml-idp.ts";
import { post, SamlLogin, startSamlWorld, UNREGISTERED, type ProviderId, type SamlWorld } from "./support/saml-world.ts";

// Servers, keys and a database start once per file; the default 5 s is tight for that on a busy
// 2-core machine (bunfig's [test] timeout is not read by bun test: --timeout or this is).
const STARTUP_MS = 60_000;
setDefaultTimeout(20_000);

/**
 * Real SAML through the proxy: the customer's IdP (samlify) signs, and encrypts on request; two
 * node-saml service providers, the legacy and the target provider, share one Entity ID and ACS
 * URL on the auth domain and check signature, Destination, Audience and InResponseTo.
 */
let world: SamlWorld;
/** Every SAML message and cookie value seen: none may appear in the router's logs. */
const secrets = new Set<string>();

beforeAll(async () => {
  world = await startSamlWorld();
}, STARTUP_MS);

afterAll(async () => {
  await world?.close();
}, STARTUP_MS);

const afterThisTest = cleanupsAfterEachTest();

const otherThan = (provider: ProviderId): ProviderId => (provider === "legacy" ? "target" : "legacy");

/** The browser posts an IdP's form through the router; what came back, and which provider accepted it. */
async function deliver(message: PostedMessage, browser: Browser = world.browser()) {
  for (const value of Object.values(message.fields)) secrets.add(value);
  const result = await post(browser, message);
  for (const value of browser.jar.values()) secrets.add(value);
  return result;
}

/** An SP-initiated login, start to end, in a fresh browser. */
async function spInitiated(connection: string, browser: Browser = world.browser()) {
  const login = new SamlLogin(world, browser);
  await login.start({ connection });
  const result = await deliver(login.posted!, browser);
  return { login, result };
}

function expectAcceptedBy(provider: ProviderId, result: { status: number; body: Record<string, unknown> }, nameId: string) {
  expect(result).toMatchObject({ status: 200, body: { sp: provider, nameId } });
  const accepted = (sp: ProviderId) => world.providers[sp].events.some((e) => e.kind === "login" && e.nameId === nameId);
  expect(accepted(provider)).toBe(true);
  expect(accepted(otherThan(provider))).toBe(false);
}

let user = 0;
/** A fresh user for each login, so "who accepted whom" is unambiguous. */
const someone = (org: string) => `user${++user}@${org}.com`;

describe("1. an organization on legacy, and an unknown one", () => {
  test("SP-initiated: the AuthnRequest goes out by Redirect, the signed Response with InResponseTo comes back to legacy, which set its cookies through the router", async () => {
    const browser = world.browser();
    const login = new SamlLogin(world, browser);
    await login.start({ connection: "acme" });
    // The provider's redirect to the IdP passed through the router untouched, and the flow is pinned.
    const toIdp = browser.hops.find((hop) => hop.url.startsWith(world.idp.tenant("acme").ssoUrl));
    expect(toIdp?.status).toBe(200);
    expect(browser.jar.attributes(world.cluster.publicHost, PIN_COOKIE)).toMatchObject({ path: "/", secure: true, httpOnly: true, sameSite: "None" });
    const pending = world.providers.legacy.pending();
    const result = await deliver(login.posted!, browser);
    expect(result).toMatchObject({ status: 200, body: { sp: "legacy", nameId: "alice@acme.com" } });
    expect(pending).toContain(result.body.inResponseTo as string);
    expect(world.providers.legacy.pending()).not.toContain(result.body.inResponseTo as string);
    const session = browser.jar.get(world.cluster.publicHost, "sp_session");
    expect(session && world.providers.legacy.hasSession(session)).toBe(true);
  });

  test("IdP-initiated (no InResponseTo), an encrypted assertion and a LogoutRequest of an organization on legacy reach legacy", async () => {
    const acme = world.idp.tenant("acme");
    const plainUser = someone("acme");
    const plain = await deliver(await acme.idpInitiated(plainUser));
    expectAcceptedBy("legacy", plain, plainUser);
    expect(plain.body.inResponseTo).toBeNull();

    const encryptedUser = someone("acme");
    const encrypted = await acme.idpInitiated(encryptedUser, { encrypt: true });
    const xml = Buffer.from(encrypted.fields.SAMLResponse!, "base64").toString("utf8");
    expect(xml).toContain("EncryptedAssertion");
    expect(xml).not.toContain(encryptedUser);
    expectAcceptedBy("legacy", await deliver(encrypted), encryptedUser);

    const logout = await deliver(await acme.logoutRequest(plainUser));
    expect(logout).toMatchObject({ status: 200, body: { sp: "legacy", loggedOut: plainUser } });
  });

  test("an organization the router does not know goes to the default provider, the only one with its connection", async () => {
    const stranger = world.idp.tenant(UNREGISTERED);
    const name = someone(UNREGISTERED);
    expectAcceptedBy("legacy", await deliver(await stranger.idpInitiated(name)), name);
    const { result } = await spInitiated(UNREGISTERED);
    expect(result).toMatchObject({ status: 200, body: { sp: "legacy", nameId: `alice@${UNREGISTERED}.com` } });
    expect(world.cluster.logs.some((e) => e.kind === "saml_post" && e.signal === "default" && e.provider === "legacy")).toBe(true);
  });
});

describe("the legacy provider stopped", () => {
  test("an organization already on target logs in (SP- and IdP-initiated) and out without it", async () => {
    const globex = world.idp.tenant("globex");
    await world.cluster.migrate("globex");
    afterThisTest(() => world.cluster.restore("globex", "legacy"));
    await world.providers.legacy.stop();
    afterThisTest(() => world.providers.legacy.start());
    const before = world.cluster.deliveries.length;
    const { result } = await spInitiated("globex");
    expect(result).toMatchObject({ status: 200, body: { sp: "target", nameId: "alice@globex.com" } });
    const idpUser = someone("globex");
    expectAcceptedBy("target", await deliver(await globex.idpInitiated(idpUser)), idpUser);
    expect(await deliver(await globex.logoutRequest(idpUser))).toMatchObject({ status: 200, body: { sp: "target", loggedOut: idpUser } });
    expect(world.cluster.deliveries.slice(before).filter((d) => d.provider === "legacy").map((d) => `${d.method} ${d.url}`)).toEqual([]);
  });
});

describe("2. migrate, then roll back", () => {
  test("after migrate every kind of message completes at target; after rollback, at legacy again", async () => {
    const acme = world.idp.tenant("acme");
    await world.cluster.migrate("acme");
    afterThisTest(() => world.cluster.restore("acme", "legacy"));
    expect([world.cluster.providerOf("acme", 0), world.cluster.providerOf("acme", 1)]).toEqual(["target", "target"]);
    const { result } = await spInitiated("acme");
    expect(result).toMatchObject({ status: 200, body: { sp: "target", nameId: "alice@acme.com" } });
    const idpUser = someone("acme");
    expectAcceptedBy("target", await deliver(await acme.idpInitiated(idpUser)), idpUser);
    const encryptedUser = someone("acme");
    expectAcceptedBy("target", await deliver(await acme.idpInitiated(encryptedUser, { encrypt: true })), encryptedUser);
    expect(await deliver(await acme.logoutRequest(idpUser))).toMatchObject({ status: 200, body: { sp: "target", loggedOut: idpUser } });
    const stranger = someone(UNREGISTERED);
    expectAcceptedBy("legacy", await deliver(await world.idp.tenant(UNREGISTERED).idpInitiated(stranger)), stranger);

    await world.cluster.rollBack("acme");
    expect((await spInitiated("acme")).result).toMatchObject({ status: 200, body: { sp: "legacy" } });
    const backUser = someone("acme");
    expectAcceptedBy("legacy", await deliver(await acme.idpInitiated(backUser, { encrypt: true })), backUser);
  });
});

describe("3. a login in flight during a migration or a rollback", () => {
  for (const [before, change] of [["legacy", "migrate"], ["target", "roll back"]] as const) {
    test(`an SP-initiated login started on ${before} before a ${change} completes on ${before}, where its AuthnRequest was issued`, async () => {
      afterThisTest(() => world.cluster.restore("globex", "legacy"));
      if (before === "target") await world.cluster.migrate("globex");
      const browser = world.browser();
      const login = new SamlLogin(world, browser);
      await login.start({ connection: "globex" });
      const issuedBy = world.providers[before].pending();
      if (change === "migrate") await world.cluster.migrate("globex");
      else await world.cluster.rollBack("globex");
      expect(world.cluster.providerOf("globex")).toBe(otherThan(before));
      const result = await deliver(login.posted!, browser);
      expect(result).toMatchObject({ status: 200, body: { sp: before, nameId: "alice@globex.com" } });
      expect(issuedBy).toContain(result.body.inResponseTo as string);
      // A login that starts now follows the route table.
      expect((await spInitiated("globex")).result).toMatchObject({ status: 200, body: { sp: otherThan(before) } });
    });
  }
});

describe("4. two router instances", () => {
  test("a login that starts on one instance and returns through the other completes where it started", async () => {
    let instance = 0;
    const browser = world.browser(() => instance);
    const login = new SamlLogin(world, browser);
    await login.start({ connection: "initech" });
    await world.cluster.migrate("initech");
    afterThisTest(() => world.cluster.restore("initech", "legacy"));
    instance = 1;
    const result = await deliver(login.posted!, browser);
    expect(result).toMatchObject({ status: 200, body: { sp: "legacy", nameId: "alice@initech.com" } });
    const entries = world.cluster.logs.filter((e) => e.organization === "initech");
    expect(entries.map((e) => [e.instance, e.kind, e.provider, e.pinned])).toEqual([
      [0, "authorize", "legacy", false],
      [1, "saml_post", "legacy", true],
    ]);
  });
});

describe("5. a tampered message", () => {
  test("a Response with one byte changed is refused by the provider it reaches; the router passes the refusal on, keeps working and logs nothing of it", async () => {
    const browser = world.browser();
    const login = new SamlLogin(world, browser);
    await login.start({ connection: "umbrella" });
    const original = login.posted!.fields.SAMLResponse!;
    const tampered = changeOneByte(original, ">alice@umbrella.com<", 5);
    secrets.add(original).add(tampered);
    const refused = await login.finish((fields) => ({ ...fields, SAMLResponse: tampered }));
    expect(refused.status).toBe(403);
    expect(refused.body.sp).toBe("legacy");
    expect(String(refused.body.error)).toMatch(/signature/i);
    expect(world.providers.legacy.events.some((e) => e.kind === "login" && e.nameId.startsWith("alic") && e.nameId.endsWith("@umbrella.com"))).toBe(false);

    const encryptedUser = someone("umbrella");
    const encrypted = await world.idp.tenant("umbrella").idpInitiated(encryptedUser, { encrypt: true });
    const cipherTampered = changeOneByte(encrypted.fields.SAMLResponse!, "CipherValue>", 40);
    const refusedEncrypted = await deliver({ ...encrypted, fields: { SAMLResponse: cipherTampered } });
    expect(refusedEncrypted.status).toBe(403);
    expect(refusedEncrypted.body.sp).toBe("legacy");

    // The router is still routing, and the untouched messages still pass.
    expectAcceptedBy("legacy", await deliver(encrypted), encryptedUser);
    expect((await spInitiated("umbrella")).result).toMatchObject({ status: 200, body: { sp: "legacy", nameId: "alice@umbrella.com" } });
    expect(world.cluster.errors()).toEqual([]);
  });
});

/**
 * The pin of a finished SP-initiated login (15 minutes) still names the organization: the next
 * login of that browser (a new flow, or an IdP-initiated response) must follow the route table.
 */
describe("stale pins", () => {
  test("a browser that logged in at target minutes before a rollback logs in at legacy after it", async () => {
    await world.cluster.migrate("umbrella");
    afterThisTest(() => world.cluster.restore("umbrella", "legacy"));
    const browser = world.browser();
    expect((await spInitiated("umbrella", browser)).result.body.sp).toBe("target");
    await world.cluster.rollBack("umbrella");
    expect((await spInitiated("umbrella", browser)).result.body.sp).toBe("legacy");
  });

  // Same pin, and an IdP-initiated Response answers no AuthnRequest: nothing is in flight, yet it is pinned.
  test("an IdP-initiated login after a rollback reaches legacy even if the browser logged in at target minutes before", async () => {
    await world.cluster.migrate("umbrella");
    afterThisTest(() => world.cluster.restore("umbrella", "legacy"));
    const browser = world.browser();
    expect((await spInitiated("umbrella", browser)).result.body.sp).toBe("target");
    await world.cluster.rollBack("umbrella");
    const name = someone("umbrella");
    expectAcceptedBy("legacy", await deliver(await world.idp.tenant("umbrella").idpInitiated(name), browser), name);
  });
});

describe("what the router logs", () => {
  test("no SAML message, assertion content or cookie value appears in the router's logs", async () => {
    // Material of its own, so the check means something when it runs alone; the rest comes from the tests above.
    await spInitiated("acme");
    await deliver(await world.idp.tenant("acme").idpInitiated(someone("acme"), { encrypt: true }));
    expect(secrets.size).toBeGreaterThan(4);
    expect(world.cluster.logs.length).toBeGreaterThanOrEqual(3);
    expect(leakedInto(world.cluster.logs, [...secrets])).toEqual([]);
    const text = JSON.stringify(world.cluster.logs);
    for (const fragment of ["alice@", "SAMLResponse", "PHNhbWwycDpSZXNwb25zZ", "CipherValue"]) expect(text).not.toContain(fragment);
    expect(world.cluster.errors()).toEqual([]);
  });
});

/** Decodes a base64 SAML message, changes the one byte at `offset` from where `marker` starts, encodes it again. */
function changeOneByte(base64: string, marker: string, offset: number): string {
  const bytes = Buffer.from(base64, "base64");
  const at = bytes.indexOf(marker);
  if (at === -1) throw new Error(`${marker} is not in the message`);
  bytes[at + offset] = bytes[at + offset] === 0x41 ? 0x42 : 0x41;
  return bytes.toString("base64");
}
