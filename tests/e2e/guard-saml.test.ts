import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { DOMParser } from "@xmldom/xmldom";
import { parseConfig, providerCatalog, type Config } from "../../shared/config.ts";
import type { OrganizationCommand } from "../../shared/commands.ts";
import { openEventStore, type EventStore } from "../../db/event-store.ts";
import type { Database } from "../../db/sql.ts";
import { executeCommand } from "../../services/commands/execute-command.ts";
import type { Guard } from "../../services/commands/guard.ts";
import { outcomeStore } from "../../db/outcome-store.ts";
import { preflightProbe } from "../../services/commands/preflight.ts";
import { silentLog } from "../../services/http/log.ts";
import type { RouteTable } from "../../services/router/route-table.ts";
import { startSafetyLoop, type SafetyLoop } from "./support/safety-loop.ts";
import { eventually } from "../support/eventually.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { freePort } from "../support/processes.ts";
import { Browser } from "./support/browser.ts";
import { selfSignedCredential } from "./support/keys.ts";
import { startCustomerIdp, type CustomerIdp } from "./support/saml-idp.ts";
import { startSamlServiceProvider, type SamlConnection, type SamlServiceProvider } from "./support/saml-sp.ts";
import { post, SamlLogin } from "./support/saml-world.ts";

const STARTUP_MS = 60_000;
setDefaultTimeout(30_000);

/**
 * The SAML half of the safety loop with the real libraries: the customers' IdP (samlify) signs
 * Responses and posts them through the router's ACS; legacy and target are node-saml service
 * providers that check them and, as brokers do, send the browser back to the application with a
 * code. The target was never given acme's connection: it refuses acme's assertions (403) and
 * answers 404 for its connection, which the preflight sees. globex is healthy on the target;
 * umbrella stays on legacy throughout.
 */
const ORGS = ["acme", "globex", "umbrella"] as const;
const APPLICATION_CALLBACK = "https://app.example.com/auth/callback";
let publicUrl: string;
let idp: CustomerIdp;
let sps: Record<"legacy" | "target", SamlServiceProvider>;
let loop: SafetyLoop | undefined;
let testDb: TestDatabase;
let db: Database;
let store: EventStore;
let config: Config;
let routes: RouteTable;
let guard: Guard;
let preflight: ReturnType<typeof preflightProbe>;
const closers: (() => Promise<void>)[] = [];

/** Every SAML Response a provider received from the router: which provider, and whose IdP issued it. */
const delivered: { provider: string; issuer: string | null }[] = [];

beforeAll(async () => {
  const publicPort = await freePort();
  publicUrl = `http://127.0.0.1:${publicPort}`;
  const sp = { entityId: `${publicUrl}/saml/metadata`, acsUrl: `${publicUrl}/saml/acs`, sloUrl: `${publicUrl}/saml/slo` };
  const encryption = await selfSignedCredential("sp-encryption.example.test");
  idp = await startCustomerIdp({ ...sp, encryptionCertificatePem: encryption.certificatePem }, [...ORGS]);
  closers.push(idp.close);
  const connection = (name: string): SamlConnection => {
    const tenant = idp.tenant(name);
    return { name, idpEntityId: tenant.entityId, idpSsoUrl: tenant.ssoUrl, idpCertificatePem: tenant.credential.certificatePem };
  };
  const start = async (id: string, names: string[]) => {
    const started = await startSamlServiceProvider({ id, ...sp, decryptionKeyPem: encryption.privateKeyPem, connections: names.map(connection), applicationCallback: APPLICATION_CALLBACK });
    closers.push(started.close);
    return started;
  };
  // The target was given every connection but acme's.
  sps = { legacy: await start("legacy", [...ORGS]), target: await start("target", ["globex", "umbrella"]) };

  testDb = await createTestDatabase();
  db = testDb.open();
  store = await openEventStore(db);
  config = parseConfig({
    publicUrl,
    providers: [
      { id: "legacy", role: "legacy", origin: sps.legacy.origin, timeoutMs: 5000 },
      { id: "target", role: "target", origin: sps.target.origin, timeoutMs: 5000, preflight: { clientId: "app", redirectUri: APPLICATION_CALLBACK } },
    ],
  });
  const providerAt = new Map(config.providers.map((p) => [new URL(p.origin).origin, p.id]));
  // What each provider receives, recorded on the way out of the router (the only path to a provider).
  const recordingFetch = (input: string, init: RequestInit) => {
    const body = init.body instanceof Uint8Array ? new TextDecoder().decode(init.body) : typeof init.body === "string" ? init.body : "";
    const samlResponse = new URLSearchParams(body).get("SAMLResponse");
    if (samlResponse) delivered.push({ provider: providerAt.get(new URL(input).origin) ?? "unknown", issuer: issuerOf(samlResponse) });
    return globalThis.fetch(input, init);
  };
  loop = await startSafetyLoop({ db, store, config, port: publicPort, name: "e2e-saml", fetch: recordingFetch });
  ({ routes, preflight, guard } = loop);
  for (const org of ORGS) {
    await command({
      type: "RegisterOrganization",
      organizationId: org,
      name: org,
      identifiers: [
        { kind: "saml_issuer", value: idp.tenant(org).entityId },
        { kind: "connection", value: org },
      ],
    });
  }
  for (const org of ORGS) await routedTo(org, "legacy");
}, STARTUP_MS);

afterAll(async () => {
  await loop?.stop();
  for (const close of closers) await close();
  await testDb?.drop();
}, STARTUP_MS);

function issuerOf(samlResponse: string): string | null {
  const document = new DOMParser({ onError: () => {} }).parseFromString(Buffer.from(samlResponse, "base64").toString("utf8"), "text/xml");
  for (let node = document.documentElement?.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as unknown as { localName: string }).localName === "Issuer") return node.textContent?.trim() ?? null;
  }
  return null;
}

async function command(c: OrganizationCommand) {
  await executeCommand({ store, providers: providerCatalog(config) }, c, { actor: "operator", requestId: crypto.randomUUID(), reason: "reason" in c ? c.reason : null }, () => ({ status: 200, body: null }));
}
const routedTo = (org: string, provider: string) => eventually(async () => (await routes.refresh(), routes.providerOf(org)), (p) => p === provider, 10_000);

let users = 0;
/**
 * An IdP-initiated login: the customer's IdP posts a signed Response through the router's ACS.
 * "succeeded on X" when provider X accepted it and sent the browser back to the application with
 * a code; else the status the provider answered.
 */
async function logIn(org: string): Promise<string> {
  const user = `user${++users}@${org}.com`;
  const result = await post(new Browser(), await idp.tenant(org).idpInitiated(user));
  return result.status === 302 ? `succeeded on ${whoAccepted(user)}` : `failed: ${result.status}`;
}
function whoAccepted(user: string): string {
  const by = (["legacy", "target"] as const).filter((sp) => sps[sp].events.some((e) => e.kind === "login" && e.nameId === user));
  return by.join("+") || "nobody";
}
const issuer = (org: string) => idp.tenant(org).entityId;
const deliveredTo = (provider: string, from: number, to = delivered.length) => delivered.slice(from, to).filter((d) => d.provider === provider).map((d) => d.issuer);

/** Logins of an organization that succeeded on a provider, as the outcome table has them. */
const succeededOn = async (org: string, provider: string) =>
  (await outcomeStore(db).read({ organizationId: org, sinceMinute: 0 })).filter((r) => r.provider === provider && r.outcome === "succeeded").reduce((n, r) => n + r.count, 0);

describe("the safety loop with a real SAML IdP and service providers", () => {
  test("preflight fails for acme on the target; its SAML logins fail there after the move; the guard rolls it back; the next login lands on legacy", async () => {
    for (let i = 0; i < 3; i++) expect(await logIn("acme")).toBe("succeeded on legacy");
    expect(await logIn("umbrella")).toBe("succeeded on legacy");

    // The baseline is in the outcome table before the move (the routers flush every 100 ms here).
    await eventually(() => succeededOn("acme", "legacy"), (n) => n === 3, 10_000);
    expect(await preflight("target", [{ kind: "connection", value: "acme" }])).toEqual([{ kind: "connection", value: "acme", passed: false, detail: "answered 404 instead of a redirect to the IdP" }]);

    await command({ type: "MigrateOrganization", organizationId: "acme", reason: "wave 1" });
    await routedTo("acme", "target");
    const movedAt = delivered.length;
    for (let i = 0; i < 3; i++) expect(await logIn("acme")).toBe("failed: 403");
    expect(await logIn("umbrella")).toBe("succeeded on legacy");
    expect(sps.target.events.filter((e) => e.kind === "refused").map((e) => e.kind === "refused" && e.error)).toEqual(["unknown IdP", "unknown IdP", "unknown IdP"]);

    // Nobody calls the guard: it finds the failures in the outcome table and acts within the window.
    const rolledBack = await eventually(() => store.readStream("organization-acme"), (events) => events.at(-1)?.type === "OrganizationRolledBack", 15_000);
    expect(rolledBack.at(-1)).toMatchObject({ data: { from: "target", to: "legacy" }, metadata: { actor: "guard" } });
    expect(rolledBack.at(-1)!.metadata.reason).toMatch(/^guard: 3 of 3 logins failed on target in \d+ min; 0 of 3 before on legacy$/);
    await routedTo("acme", "legacy");
    const rolledBackAt = delivered.length;

    // The next logins land on legacy: IdP-initiated, and SP-initiated through the router from the start.
    expect(await logIn("acme")).toBe("succeeded on legacy");
    const browser = new Browser();
    const login = new SamlLogin({ publicUrl }, browser);
    await login.start({ connection: "acme" });
    const finished = await login.finish();
    expect(finished.status).toBe(302);
    expect(sps.legacy.events.at(-1)).toMatchObject({ kind: "login", nameId: "alice@acme.com", connection: "acme" });

    // While acme was on the target, its assertions went there only, and umbrella's never did.
    expect(deliveredTo("target", movedAt, rolledBackAt)).toEqual([issuer("acme"), issuer("acme"), issuer("acme")]);
    expect(deliveredTo("legacy", movedAt, rolledBackAt)).toEqual([issuer("umbrella")]);
    // After the rollback, nothing of acme's reaches the target.
    expect(deliveredTo("target", rolledBackAt)).toEqual([]);
    expect(deliveredTo("legacy", rolledBackAt)).toEqual([issuer("acme"), issuer("acme")]);
  });

  test("a healthy target: globex's SAML logins succeed there and the guard leaves it alone", async () => {
    expect(await preflight("target", [{ kind: "connection", value: "globex" }])).toMatchObject([{ kind: "connection", value: "globex", passed: true }]);
    await command({ type: "MigrateOrganization", organizationId: "globex", reason: "wave 1" });
    await routedTo("globex", "target");
    const movedAt = delivered.length;
    for (let i = 0; i < 4; i++) expect(await logIn("globex")).toBe("succeeded on target");
    expect(await logIn("umbrella")).toBe("succeeded on legacy");
    await eventually(() => succeededOn("globex", "target"), (n) => n >= 4, 10_000);
    expect(await guard.tick()).toEqual([]);
    expect((await store.readStream("organization-globex")).at(-1)!.type).toBe("OrganizationMigrated");
    // Nothing but globex's reached the target; nothing of globex's reached legacy.
    expect(deliveredTo("target", movedAt)).toEqual(Array(4).fill(issuer("globex")));
    expect(deliveredTo("legacy", movedAt)).toEqual([issuer("umbrella")]);
    // Over the whole run, the target never received umbrella's assertions.
    expect(delivered.filter((d) => d.provider === "target" && d.issuer === issuer("umbrella"))).toEqual([]);
  });
});
