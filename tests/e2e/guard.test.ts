import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import * as oidc from "openid-client";
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
import { APP, balancedFetch, OidcLogin, REDIRECT_URI } from "./support/oidc-world.ts";
import { startOidcPair, type OidcPair } from "./support/oidc-pair.ts";

const STARTUP_MS = 60_000;
setDefaultTimeout(30_000);

/**
 * The safety loop end to end with the real libraries: two node-oidc-provider instances, the
 * application as an openid-client relying party, a browser on the providers' own pages, the
 * router with its outcome bookkeeping, the command service's outcome table on a real PostgreSQL,
 * preflight and the guard. The target refuses acme's logins (a thin front answers its authorize
 * requests for acme users with an OAuth error redirect, as a misconfigured connection does) and
 * is healthy for everyone else.
 */
let publicUrl: string;
let pair: OidcPair | undefined;
let loop: SafetyLoop | undefined;
let testDb: TestDatabase;
let db: Database;
let store: EventStore;
let config: Config;
let routes: RouteTable;
let guard: Guard;
let relyingParty: oidc.Configuration;

beforeAll(async () => {
  const publicPort = await freePort();
  publicUrl = `http://127.0.0.1:${publicPort}`;
  pair = await startOidcPair({ publicUrl, refuses: (hint) => hint.endsWith("@acme.com") });
  const { legacy } = pair;

  testDb = await createTestDatabase();
  db = testDb.open();
  store = await openEventStore(db);
  config = parseConfig({
    publicUrl,
    providers: [
      { id: "legacy", role: "legacy", origin: legacy.origin, jwksPath: "/jwks", timeoutMs: 5000 },
      { id: "target", role: "target", origin: pair.targetOrigin, jwksPath: "/jwks", timeoutMs: 5000, preflight: { clientId: APP.id, redirectUri: REDIRECT_URI } },
    ],
  });
  loop = await startSafetyLoop({ db, store, config, port: publicPort, name: "e2e" });
  ({ routes, preflight, guard } = loop);
  relyingParty = await oidc.discovery(new URL(publicUrl), APP.id, APP.secret, undefined, { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: balancedFetch(() => null) });
}, STARTUP_MS);

afterAll(async () => {
  await loop?.stop();
  await pair?.close();
  await testDb?.drop();
}, STARTUP_MS);

let preflight: ReturnType<typeof preflightProbe>;

async function command(c: OrganizationCommand) {
  await executeCommand({ store, providers: providerCatalog(config) }, c, { actor: "operator", requestId: crypto.randomUUID(), reason: "reason" in c ? c.reason : null }, () => ({ status: 200, body: null }));
}
/** The route table reads below the transaction-visibility horizon: wait until it shows the change. */
const routedTo = (org: string, provider: string) => eventually(async () => (await routes.refresh(), routes.providerOf(org)), (p) => p === provider, 10_000);

/** A whole login as a browser does it; "succeeded" with the provider that signed the ID token, or the OAuth error. */
async function logIn(user: string): Promise<string> {
  const login = new OidcLogin(relyingParty, new Browser());
  await login.start({ login_hint: user });
  const error = login.callback?.searchParams.get("error");
  if (error) return `failed: ${error}`;
  await login.finish(user);
  const tokens = await login.exchange();
  const kid = JSON.parse(Buffer.from(tokens.id_token!.split(".")[0]!, "base64url").toString()).kid as string;
  return `succeeded on ${pair!.signers[kid]}`;
}

/** Logins of an organization that succeeded on a provider, as the outcome table has them. */
const succeededOn = async (org: string, provider: string) =>
  (await outcomeStore(db).read({ organizationId: org, sinceMinute: 0 })).filter((r) => r.provider === provider && r.outcome === "succeeded").reduce((n, r) => n + r.count, 0);

describe("the safety loop with real OpenID providers", () => {
  test("preflight fails for acme on the target; its logins fail there after the move; the guard rolls it back by itself; the next login succeeds on legacy", async () => {
    await command({ type: "RegisterOrganization", organizationId: "acme", name: "Acme", identifiers: [{ kind: "domain", value: "acme.com" }] });
    await routedTo("acme", "legacy");
    for (let i = 0; i < 3; i++) expect(await logIn(`user${i}@acme.com`)).toBe("succeeded on legacy");

    // The baseline is in the outcome table before the move (the routers flush every 100 ms here).
    await eventually(() => succeededOn("acme", "legacy"), (n) => n === 3, 10_000);
    const checks = await preflight("target", [{ kind: "domain", value: "acme.com" }]);
    expect(checks).toEqual([{ kind: "domain", value: "acme.com", passed: false, detail: "error redirect: access_denied" }]);

    await command({ type: "MigrateOrganization", organizationId: "acme", reason: "wave 1" });
    await routedTo("acme", "target");
    for (let i = 0; i < 3; i++) expect(await logIn(`user${i}@acme.com`)).toBe("failed: access_denied");

    // Nobody calls the guard: it finds the failures in the outcome table and acts within the window.
    const rolledBack = await eventually(() => store.readStream("organization-acme"), (events) => events.at(-1)?.type === "OrganizationRolledBack", 15_000);
    expect(rolledBack.at(-1)).toMatchObject({ data: { from: "target", to: "legacy" }, metadata: { actor: "guard" } });
    expect(rolledBack.at(-1)!.metadata.reason).toMatch(/^guard: 3 of 3 logins failed on target in \d+ min; 0 of 3 before on legacy$/);
    await routedTo("acme", "legacy");
    expect(await logIn("user0@acme.com")).toBe("succeeded on legacy");
  });

  test("a healthy target: globex's logins succeed there and the guard leaves it alone", async () => {
    await command({ type: "RegisterOrganization", organizationId: "globex", name: "Globex", identifiers: [{ kind: "domain", value: "globex.com" }] });
    await command({ type: "MigrateOrganization", organizationId: "globex", reason: "wave 1" });
    await routedTo("globex", "target");
    for (let i = 0; i < 4; i++) expect(await logIn(`user${i}@globex.com`)).toBe("succeeded on target");
    // Wait until the four successes are in the table (the guard keeps ticking meanwhile), then check once more.
    await eventually(async () => ((await outcomeStore(db).read({ organizationId: "globex", sinceMinute: 0 })).filter((r) => r.outcome === "succeeded").reduce((n, r) => n + r.count, 0)), (n) => n >= 4, 10_000);
    expect(await guard.tick()).toEqual([]);
    expect((await store.readStream("organization-globex")).at(-1)!.type).toBe("OrganizationMigrated");
  });
});
