import { beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { Hono } from "hono";
import { openEventStore, type EventStore } from "../../db/event-store.ts";
import { openPglite } from "../../db/pglite.ts";
import { createCommandsApp, type ApiDispatch } from "../../services/commands/app.ts";
import { createTokenVerifier } from "../../services/commands/auth.ts";
import { createConsole, signedInLanding } from "../../services/console/app.tsx";
import { consoleSessions, SESSION_COOKIE, SESSION_TTL_SECONDS, type Sessions } from "../../services/console/session.ts";
import { signInLinks, SIGN_IN_LINK_TTL_MS, type SignInLinks } from "../../services/console/sign-in-links.ts";
import { streamIdOf } from "../../shared/events.ts";
import { waveStreamIdOf } from "../../shared/wave.ts";
import { handleWaveCommand } from "../../services/waves/wave-commands.ts";
import { PROVIDERS, register, run } from "../support/commands.ts";
import { executeCommand } from "../../services/commands/execute-command.ts";
import { randomSecret } from "../support/secrets.ts";
import { unique } from "../support/unique.ts";

setDefaultTimeout(30_000);

/** The console over plain HTTP (no browser): what it refuses, and what its cookies say. */
const ORIGIN = "http://console.test";
const ALL = ["migrations:read", "migrations:write", "admin"];

let store: EventStore;
let sessions: Sessions;
let links: SignInLinks;
let app: ReturnType<typeof createCommandsApp>;
let logged: string[];
let clock: number;
/** Each test's own organization (one store for the file: PGlite takes seconds to open). */
let org: string;

beforeAll(async () => {
  store = await openEventStore(await openPglite());
  sessions = await consoleSessions({ now: () => clock });
  links = signInLinks({ now: () => clock });
  const verifyToken = await createTokenVerifier({ secret: randomSecret("api") });
  app = createCommandsApp({ store, providers: PROVIDERS, verifyToken, log: (entry) => logged.push(JSON.stringify(entry)), console: createConsole({ store, providers: PROVIDERS, sessions, links }) });
}, 60_000);

beforeEach(async () => {
  clock = Date.now();
  logged = [];
  org = unique("acme");
  await run(store, register(org, [{ kind: "domain", value: `${org}.example` }]));
});

const request = (path: string, init: RequestInit & { cookie?: string; origin?: string | null } = {}) => {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set("cookie", init.cookie);
  if (init.origin !== null) headers.set("origin", init.origin ?? ORIGIN);
  return app.request(`${ORIGIN}${path}`, { ...init, headers });
};
const post = (path: string, fields: Record<string, string>, extra: { cookie?: string; origin?: string | null } = {}) =>
  request(path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString(), ...extra });

/** A session cookie as the browser would send it back. */
async function sessionCookie(scopes: string[], subject = "op@example.com"): Promise<string> {
  return (await sessions.cookieFor({ subject, scopes: new Set(scopes) })).split(";")[0]!;
}

async function csrfFrom(cookie: string, path = `/console/organizations/${org}`): Promise<string> {
  const page = await (await request(path, { cookie })).text();
  return /name="csrf" value="([^"]+)"/.exec(page)![1]!;
}

const eventTypes = async () => (await store.readStream(streamIdOf(org))).map((e) => e.type);

describe("signing in with the one-time link", () => {
  test("the link signs in once: a __Host- cookie, HttpOnly, Secure, SameSite=Strict, Path=/, no Domain, an hour long", async () => {
    const token = await links.issue({ subject: "console-admin@embedded", scopes: new Set(ALL) });
    const answer = await post("/console/sign-in", { link: token });
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/console");
    const cookie = answer.headers.get("set-cookie")!;
    expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
    const attributes = cookie.split(";").slice(1).map((a) => a.trim());
    expect(attributes.sort()).toEqual(["HttpOnly", `Max-Age=${SESSION_TTL_SECONDS}`, "Path=/", "SameSite=Strict", "Secure"]);
    const overview = await request("/console", { cookie: cookie.split(";")[0]! });
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain("console-admin@embedded");
  });

  test("a used link is refused with a page that says so, and signs nobody in", async () => {
    const token = await links.issue({ subject: "console-admin@embedded", scopes: new Set(ALL) });
    expect((await post("/console/sign-in", { link: token })).status).toBe(303);
    const again = await post("/console/sign-in", { link: token });
    expect(again.status).toBe(410);
    expect(again.headers.get("set-cookie")).toBeNull();
    expect(await again.text()).toContain("already used");
  });

  test("an expired link and one this process never printed are refused", async () => {
    const token = await links.issue({ subject: "console-admin@embedded", scopes: new Set(ALL) });
    clock += SIGN_IN_LINK_TTL_MS + 1000;
    const expired = await post("/console/sign-in", { link: token });
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain("expired");
    const unknown = await post("/console/sign-in", { link: "not-a-link-this-process-printed" });
    expect(unknown.status).toBe(403);
    expect(unknown.headers.get("set-cookie")).toBeNull();
  });

  test("the link's token never reaches the request log (it travels in the query, then a POST body)", async () => {
    const token = await links.issue({ subject: "console-admin@embedded", scopes: new Set(ALL) });
    const page = await request(`/console/sign-in?link=${token}`);
    expect(page.status).toBe(200);
    expect((await post("/console/sign-in", { link: token })).status).toBe(303);
    expect(logged.length).toBeGreaterThanOrEqual(2);
    expect(logged.filter((line) => line.includes(token))).toEqual([]);
  });

  test("a sign-in form posted from another site is refused", async () => {
    const token = await links.issue({ subject: "console-admin@embedded", scopes: new Set(ALL) });
    expect((await post("/console/sign-in", { link: token }, { origin: "https://evil.example" })).status).toBe(403);
    expect((await post("/console/sign-in", { link: token })).status).toBe(303); // not spent by the refused attempt
  });
});

describe("signing in with an IdP (the OIDC module calls signedIn)", () => {
  test("with OIDC configured, the sign-in page offers the IdP and its routes live under /console/auth/oidc", async () => {
    const verifyToken = await createTokenVerifier({ secret: randomSecret("api") });
    const idpRoutes = new Hono().get("/login", (c) => c.redirect("https://idp.corp.example/authorize?client_id=console", 302));
    const withOidc = createCommandsApp({ store, providers: PROVIDERS, verifyToken, log: () => {}, console: createConsole({ store, providers: PROVIDERS, sessions, oidc: { routes: idpRoutes, label: "Corp SSO" } }) });
    const page = await (await withOidc.request(`${ORIGIN}/console/sign-in`)).text();
    expect(page).toContain('<a class="button" href="/console/auth/oidc/login">Sign in with Corp SSO</a>');
    expect(page).not.toContain('name="link"');
    const login = await withOidc.request(`${ORIGIN}/console/auth/oidc/login`);
    expect([login.status, login.headers.get("location")]).toEqual([302, "https://idp.corp.example/authorize?client_id=console"]);
    // Without the embedded default's links, a link token is not even looked at: the sign-in page takes no POST (405, Allow: GET, HEAD).
    expect((await withOidc.request(`${ORIGIN}/console/sign-in`, { method: "POST", headers: { origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" }, body: "link=x" })).status).toBe(405);
  });

  test("the landing page sets the session and links on, same-site, into the console (a SameSite=Strict cookie does not follow the IdP's redirect)", async () => {
    const landing = await signedInLanding(sessions)({} as never, { subject: "jane@corp.example", name: "Jane Doe", scopes: new Set(["migrations:read"]) });
    expect(landing.status).toBe(200);
    expect(landing.headers.get("set-cookie")).toContain("SameSite=Strict");
    expect(await landing.text()).toContain('href="/console"');
    const cookie = landing.headers.get("set-cookie")!.split(";")[0]!;
    const overview = await request("/console", { cookie });
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain("Jane Doe");
  });
});

describe("sessions", () => {
  test("without a session, pages send to the sign-in page and forms are refused", async () => {
    const page = await request("/console/organizations");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/console/sign-in");
    expect((await post(`/console/organizations/${org}/migrate`, { reason: "x", csrf: "x" })).status).toBe(401);
    expect(await eventTypes()).toEqual(["OrganizationRegistered"]);
  });

  test("an expired or forged session cookie is no session", async () => {
    const cookie = await sessionCookie(ALL);
    clock += (SESSION_TTL_SECONDS + 60) * 1000;
    expect((await request("/console", { cookie })).status).toBe(303);
    clock -= (SESSION_TTL_SECONDS + 60) * 1000;
    const [name, value] = cookie.split("=") as [string, string];
    const forged = `${name}=${value.slice(0, -4)}AAAA`;
    expect((await request("/console", { cookie: forged })).status).toBe(303);
  });

  test("signing out clears the cookie (a form like any other: with its CSRF token)", async () => {
    const cookie = await sessionCookie(ALL);
    expect((await post("/console/sign-out", {}, { cookie })).status).toBe(403);
    const out = await post("/console/sign-out", { csrf: await csrfFrom(cookie) }, { cookie });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/console/sign-in");
    expect(out.headers.get("set-cookie")).toStartWith(`${SESSION_COOKIE}=; Path=/; Max-Age=0;`);
  });

  test("the console's way into the API still faces the API's scope checks, and records the operator as actor", async () => {
    let dispatch!: ApiDispatch;
    const verifyToken = await createTokenVerifier({ secret: randomSecret("api") });
    createCommandsApp({ store, providers: PROVIDERS, verifyToken, log: () => {}, console: (api) => ((dispatch = api), new Hono()) });
    const migrate = () => new Request(`http://console.internal/v1/organizations/${org}/migrate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ reason: "through the console" }) });
    const reader = await dispatch(migrate(), { subject: "reader@example.com", scopes: new Set(["migrations:read"]) });
    expect([reader.status, (await reader.json()).code]).toEqual([403, "insufficient_scope"]);
    expect((await dispatch(migrate(), { subject: "writer@example.com", scopes: new Set(["migrations:write"]) })).status).toBe(200);
    expect((await store.readStream(streamIdOf(org))).map((e) => [e.type, e.metadata.actor])).toEqual([
      ["OrganizationRegistered", "tester"],
      ["OrganizationMigrated", "writer@example.com"],
    ]);
  });

  test("the console's cookie is not an API credential", async () => {
    const answer = await request("/v1/organizations", { cookie: await sessionCookie(ALL) });
    expect(answer.status).toBe(401);
    expect((await answer.json()).code).toBe("missing_token");
  });
});

describe("forms", () => {
  test("a write without the session's CSRF token, or with another session's, is refused and appends nothing", async () => {
    const cookie = await sessionCookie(ALL);
    const other = await csrfFrom(await sessionCookie(ALL, "other@example.com"));
    expect((await post(`/console/organizations/${org}/migrate`, { reason: "no token" }, { cookie })).status).toBe(403);
    expect((await post(`/console/organizations/${org}/migrate`, { reason: "wrong token", csrf: other }, { cookie })).status).toBe(403);
    expect(await eventTypes()).toEqual(["OrganizationRegistered"]);
  });

  test("a write with the right token but from another origin (or none said) is refused", async () => {
    const cookie = await sessionCookie(ALL);
    const csrf = await csrfFrom(cookie);
    expect((await post(`/console/organizations/${org}/migrate`, { reason: "x", csrf }, { cookie, origin: "https://evil.example" })).status).toBe(403);
    expect((await post(`/console/organizations/${org}/migrate`, { reason: "x", csrf }, { cookie, origin: null })).status).toBe(403);
    expect(await eventTypes()).toEqual(["OrganizationRegistered"]);
  });

  test("the confirmation asks for a reason; the write runs the API's command as the operator, once per form", async () => {
    const cookie = await sessionCookie(ALL, "jane@example.com");
    const csrf = await csrfFrom(cookie);
    const noReason = await post(`/console/organizations/${org}/confirm`, { action: "migrate", reason: "  ", csrf }, { cookie });
    expect(noReason.status).toBe(422);
    const confirm = await (await post(`/console/organizations/${org}/confirm`, { action: "migrate", reason: "wave 1", to: "target", csrf }, { cookie })).text();
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(confirm)![1]!;
    const fields = { reason: "wave 1", to: "target", idempotencyKey: key, csrf };
    const first = await post(`/console/organizations/${org}/migrate`, fields, { cookie });
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toMatch(new RegExp(`^/console/organizations/${org}\\?done=\\d+$`));
    const again = await post(`/console/organizations/${org}/migrate`, fields, { cookie }); // a second click on the same form
    expect(again.status).toBe(303);
    const history = await store.readStream(streamIdOf(org));
    expect(history.map((e) => [e.type, e.metadata.actor, e.metadata.reason, e.metadata.idempotencyKey])).toEqual([
      ["OrganizationRegistered", "tester", null, null],
      ["OrganizationMigrated", "jane@example.com", "wave 1", key],
    ]);
  });

  test("what operators typed is shown as text, never as markup; the notice after an action repeats only the log", async () => {
    const cookie = await sessionCookie(ALL);
    const csrf = await csrfFrom(cookie);
    const reason = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
    const done = await post(`/console/organizations/${org}/migrate`, { reason, csrf, idempotencyKey: crypto.randomUUID() }, { cookie });
    const page = await (await request(done.headers.get("location")!, { cookie })).text();
    expect(page).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(page).not.toContain("<script>alert");
    expect(page).toContain(`role="status"><p>Done: Migrated from legacy to target`);
    const spoofed = await (await request(`/console/organizations/${org}?done=${encodeURIComponent("Your session expired: sign in at evil.example")}`, { cookie })).text();
    expect(spoofed).not.toContain("evil.example");
    expect(spoofed).not.toContain('role="status"');
  });

  test("the API's refusal is shown with its code, and nothing is appended", async () => {
    const cookie = await sessionCookie(ALL);
    const csrf = await csrfFrom(cookie);
    const answer = await post(`/console/organizations/${org}/rollback`, { reason: "never migrated", csrf, idempotencyKey: crypto.randomUUID() }, { cookie });
    expect(answer.status).toBe(409);
    expect(await answer.text()).toContain("nothing_to_roll_back");
    expect(await eventTypes()).toEqual(["OrganizationRegistered"]);
  });
});

describe("scopes", () => {
  test("migrations:read shows the organization without its action buttons, and its writes are refused", async () => {
    const cookie = await sessionCookie(["migrations:read"]);
    const page = await (await request(`/console/organizations/${org}`, { cookie })).text();
    expect(page).toContain(org);
    expect(page).not.toContain("Migrate…");
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!; // the sign-out form carries it
    expect((await post(`/console/organizations/${org}/confirm`, { action: "migrate", reason: "x", csrf }, { cookie })).status).toBe(403);
    expect((await post(`/console/organizations/${org}/migrate`, { reason: "x", csrf }, { cookie })).status).toBe(403);
    expect(await eventTypes()).toEqual(["OrganizationRegistered"]);
  });

  test("a session without migrations:read sees no page", async () => {
    const cookie = await sessionCookie([]);
    for (const path of ["/console", "/console/organizations", `/console/organizations/${org}`, "/console/audit", "/console/audit/export", "/console/unmatched", "/console/waves"]) {
      expect([path, (await request(path, { cookie })).status]).toEqual([path, 403]);
    }
  });
});

describe("pages", () => {
  test("the overview counts organizations per provider and raises the guard's rollbacks as alerts", async () => {
    const moved = unique("moved");
    await run(store, register(moved));
    await run(store, { type: "MigrateOrganization", organizationId: moved, reason: "wave 1" });
    await executeCommand({ store, providers: PROVIDERS }, { type: "RollBackOrganization", organizationId: moved, reason: "failure rate 80% > 50%" }, { actor: "guard", requestId: crypto.randomUUID(), reason: "failure rate 80% > 50%" }, () => ({ status: 200, body: null }));
    await run(store, { type: "MigrateOrganization", organizationId: org, reason: "wave 2" });
    const html = await (await request("/console", { cookie: await sessionCookie(ALL) })).text();
    const organizations = await store.listOrganizations({ limit: 1000 });
    const onTarget = organizations.filter((o) => o.provider === "target").length;
    expect(onTarget).toBeGreaterThan(0);
    expect(html).toContain(`${onTarget} of ${organizations.length} (`);
    expect(html).toContain(`Guard rolled back <a href="/console/organizations/${moved}">${moved}</a>`);
    expect(html).toContain("failure rate 80% &gt; 50%");
  });

  test("an address that names no console page gets an HTML page that says so (after sign-in, like every page)", async () => {
    expect((await request("/console/no-such-page")).status).toBe(303);
    const answer = await request("/console/no-such-page", { cookie: await sessionCookie(ALL) });
    expect(answer.status).toBe(404);
    expect(answer.headers.get("content-type")).toStartWith("text/html");
    expect(await answer.text()).toContain("The console has no page at /console/no-such-page.");
  });

  test("a form larger than any of the console's is refused before it is read", async () => {
    const cookie = await sessionCookie(ALL);
    const answer = await post(`/console/organizations/${org}/confirm`, { action: "migrate", reason: "x".repeat(20_000), csrf: await csrfFrom(cookie) }, { cookie });
    expect(answer.status).toBe(413);
    expect(await eventTypes()).toEqual(["OrganizationRegistered"]);
  });

  test("are served with a CSP that allows no inline script, style or framing, and the console's assets", async () => {
    const page = await request("/console", { cookie: await sessionCookie(ALL) });
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    const html = await page.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)|style="/);
    expect((await request("/console/assets/console.css")).headers.get("content-type")).toStartWith("text/css");
    expect((await request("/console/assets/live.js")).headers.get("content-type")).toStartWith("text/javascript");
  });

  test("the organization search matches an id, a name or an identifier, in any case", async () => {
    const globex = unique("globex");
    await run(store, register(globex, [{ kind: "saml_issuer", value: `https://idp.${globex}.example/saml` }]));
    const cookie = await sessionCookie(ALL);
    const found = async (q: string) => [...(await (await request(`/console/organizations?q=${encodeURIComponent(q)}`, { cookie })).text()).matchAll(/<th scope="row"><a href="\/console\/organizations\/([^"]+)"/g)].map((m) => m[1]);
    expect(await found(org.toUpperCase())).toEqual([org]);
    expect(await found(`${globex} Inc`)).toEqual([globex]);
    expect(await found(`idp.${globex}`)).toEqual([globex]);
    expect(await found(`${org}.EXAMPLE`)).toEqual([org]);
    expect(await found("%")).toEqual([]);
    expect(await found("_")).toEqual([]);
  });
});

describe("waves", () => {
  async function plannedWave(): Promise<string> {
    const waveId = unique("w").toLowerCase().replace(/[^a-z0-9-]/g, "-");
    await handleWaveCommand(store, { type: "PlanWave", waveId, name: "EU first", to: "target", organizations: [org], batchSize: 1, soakMinutes: 30 }, { actor: "planner", requestId: "r", reason: null });
    return waveId;
  }
  const waveEvents = async (waveId: string) => (await store.readStream(waveStreamIdOf(waveId))).map((e) => [e.type, e.metadata.actor, e.metadata.reason]);

  test("pause, resume and abort: a reason, a confirmation, then the API's command as the operator", async () => {
    const waveId = await plannedWave();
    const cookie = await sessionCookie(ALL, "jane@example.com");
    const csrf = await csrfFrom(cookie, "/console/waves");
    const list = await (await request("/console/waves", { cookie })).text();
    expect(list).toContain(`action="/console/waves/${waveId}/confirm"`);
    expect((await post(`/console/waves/${waveId}/confirm`, { action: "pause", reason: " ", csrf }, { cookie })).status).toBe(422);
    const confirm = await post(`/console/waves/${waveId}/confirm`, { action: "pause", reason: "IdP outage at a customer", csrf }, { cookie });
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain(`action="/console/waves/${waveId}/pause"`);
    expect(await waveEvents(waveId)).toEqual([["WavePlanned", "planner", null]]); // confirming records nothing

    const paused = await post(`/console/waves/${waveId}/pause`, { reason: "IdP outage at a customer", csrf }, { cookie });
    expect([paused.status, paused.headers.get("location")]).toEqual([303, `/console/waves?done=${waveId}`]);
    expect(await (await request(paused.headers.get("location")!, { cookie })).text()).toContain(`Wave ${waveId} is now paused.`);
    // A paused wave offers resume, not pause; asking for pause again is refused before the API.
    expect((await post(`/console/waves/${waveId}/confirm`, { action: "pause", reason: "again", csrf }, { cookie })).status).toBe(409);
    // The form posted twice: pausing a paused wave changes nothing, and nothing is appended.
    expect((await post(`/console/waves/${waveId}/pause`, { reason: "IdP outage at a customer", csrf }, { cookie })).status).toBe(303);
    expect((await waveEvents(waveId)).length).toBe(2);
    // Resuming twice: the API refuses the second (the wave is no longer paused), shown with its code.

    expect((await post(`/console/waves/${waveId}/resume`, { reason: "fixed", csrf }, { cookie })).status).toBe(303);
    const resumedAgain = await post(`/console/waves/${waveId}/resume`, { reason: "fixed", csrf }, { cookie });
    expect(resumedAgain.status).toBe(409);
    expect(await resumedAgain.text()).toContain("wave_not_paused");
    expect((await post(`/console/waves/${waveId}/abort`, { reason: "customer asked to wait", rollBack: "yes", csrf }, { cookie })).status).toBe(303);
    expect(await waveEvents(waveId)).toEqual([
      ["WavePlanned", "planner", null],
      ["WavePaused", "jane@example.com", "IdP outage at a customer"],
      ["WaveResumed", "jane@example.com", "fixed"],
      ["WaveAborted", "jane@example.com", "customer asked to wait"],
    ]);
    expect((await store.readStream(waveStreamIdOf(waveId))).at(-1)!.data).toMatchObject({ rollBack: true });
  });

  test("without migrations:write the page shows no controls and the server refuses the actions", async () => {
    const waveId = await plannedWave();
    const cookie = await sessionCookie(["migrations:read"]);
    const page = await (await request("/console/waves", { cookie })).text();
    expect(page).toContain(waveId);
    expect(page).not.toContain("/confirm");
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? (await csrfFrom(cookie));
    expect((await post(`/console/waves/${waveId}/pause`, { reason: "x", csrf }, { cookie })).status).toBe(403);
    expect(await waveEvents(waveId)).toEqual([["WavePlanned", "planner", null]]);
  });
});
