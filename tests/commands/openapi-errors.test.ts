import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Hono } from "hono";
import { openEventStore } from "../../db/event-store.ts";
import { outcomeStore } from "../../db/outcome-store.ts";
import { unmatchedStore } from "../../db/unmatched-store.ts";
import { SUCCESS_SCHEMAS } from "../../services/commands/api-description.ts";
import { createCommandsApp, type CommandsDeps } from "../../services/commands/app.ts";
import { createTokenVerifier } from "../../services/commands/auth.ts";
import { mintToken } from "../../services/commands/tokens.ts";
import { silentLog } from "../../services/http/log.ts";
import { statusOf } from "../../services/http/problem.ts";
import type { ErrorCode } from "../../shared/errors.ts";
import { PROVIDERS } from "../support/commands.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { randomSecret } from "../support/secrets.ts";
import { unique } from "../support/unique.ts";

/**
 * Every error code the OpenAPI document lists for an operation, provoked against that operation
 * of a real API over real PostgreSQL: the table below has one request per (operation, code), the
 * first test checks it covers exactly what the document says, the others send each request and
 * check the status and the code. `not_found` for a path no route serves is the router's own answer
 * (documented once in the description, not per operation), as is `internal_error` for a fault.
 */

type Sent = { path: string; body?: unknown; raw?: string; headers?: Record<string, string>; app?: "full" | "bare" | "down"; token?: string | null };
type Case = { route: string; code: ErrorCode; send: () => Promise<Sent> };

const SECRET = randomSecret("openapi-errors");
let database: TestDatabase;
const apps: Record<"full" | "bare" | "down", Hono<any>> = {} as never;
const tokens: Record<"none" | "read" | "write" | "admin", string> = {} as never;
let full: CommandsDeps;
let document: { paths: Record<string, Record<string, { security?: { bearer: string[] }[]; responses: Record<string, { content?: Record<string, { schema: any }> }> }>> };

beforeAll(async () => {
  database = await createTestDatabase();
  const verifyToken = await createTokenVerifier({ secret: SECRET });
  const deps = async (db: ReturnType<TestDatabase["open"]>): Promise<CommandsDeps> => ({
    store: await openEventStore(db),
    providers: PROVIDERS,
    verifyToken,
    log: silentLog,
    outcomes: outcomeStore(db),
    unmatched: unmatchedStore(db),
    // The probe itself is tested elsewhere (tests/commands/preflight.test.ts); here the route around it is.
    preflight: async () => [],
  });
  full = await deps(database.open());
  apps.full = createCommandsApp(full);
  // Without the optional parts: login outcomes, unmatched traffic and the preflight probe.
  apps.bare = createCommandsApp({ store: full.store, providers: PROVIDERS, verifyToken, log: silentLog });
  // Over a connection pool that has been shut: every store call fails as a lost database does.
  const lost = database.open();
  apps.down = createCommandsApp(await deps(lost));
  await lost.close();
  for (const [name, scopes] of [["none", []], ["read", ["migrations:read"]], ["write", ["migrations:write"]], ["admin", ["admin"]]] as const) {
    tokens[name] = await mintToken(SECRET, { subject: "openapi@example.com", scopes: [...scopes], ttlSeconds: 600 });
  }
  document = await (await apps.full.request("/openapi.json")).json();
});
afterAll(async () => {
  await database.drop();
});

async function send(method: string, sent: Sent) {
  const headers: Record<string, string> = { ...(sent.body !== undefined || sent.raw !== undefined ? { "content-type": "application/json" } : {}), ...sent.headers };
  if (sent.token !== null) headers.authorization ??= `Bearer ${sent.token ?? tokens.admin}`;
  const body = sent.raw ?? (sent.body !== undefined ? JSON.stringify(sent.body) : undefined);
  const response = await apps[sent.app ?? "full"].request(sent.path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  return { status: response.status, type: response.headers.get("content-type") ?? "", body: text.startsWith("{") ? JSON.parse(text) : text };
}

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => send(method, { path, body, headers });

/** A registered organization with its own domain. */
async function organization(): Promise<string> {
  const id = unique("oa");
  const r = await call("POST", "/v1/organizations", { id, name: "OpenAPI", identifiers: [{ kind: "domain", value: `${id}.com` }] });
  expect(r.status).toBe(201);
  return id;
}
/** A running wave over a fresh organization; `then` pauses or aborts it. */
async function wave(then?: "pause" | "abort"): Promise<string> {
  const r = await call("POST", "/v1/waves", { name: "openapi", organizations: [await organization()], batchSize: 1, soakMinutes: 60 });
  expect(r.status).toBe(201);
  if (then) expect((await call("POST", `/v1/waves/${r.body.id}/${then}`, { reason: "set up" })).status).toBe(200);
  return r.body.id;
}

/** For each operation, a request that passes every check before the store (so a lost store is the only fault). */
const VALID: Record<string, () => Promise<Sent>> = {
  "POST /v1/organizations": async () => ({ path: "/v1/organizations", body: { id: unique("oa"), name: "Valid" } }),
  "GET /v1/organizations": async () => ({ path: "/v1/organizations" }),
  "GET /v1/organizations/{id}": async () => ({ path: `/v1/organizations/${unique("oa")}` }),
  "GET /v1/organizations/{id}/events": async () => ({ path: `/v1/organizations/${unique("oa")}/events` }),
  "POST /v1/organizations/{id}/identifiers": async () => ({ path: `/v1/organizations/${await organization()}/identifiers`, body: { kind: "domain", value: `${unique("more")}.org` } }),
  "DELETE /v1/organizations/{id}/identifiers/{kind}/{value}": async () => {
    const id = await organization();
    return { path: `/v1/organizations/${id}/identifiers/domain/${id}.com` };
  },
  "PUT /v1/organizations/{id}/tags": async () => ({ path: `/v1/organizations/${await organization()}/tags`, body: { tags: ["tier:gold"] } }),
  "POST /v1/organizations/{id}/migrate": async () => ({ path: `/v1/organizations/${await organization()}/migrate`, body: { reason: "valid" } }),
  "POST /v1/organizations/{id}/rollback": async () => ({ path: `/v1/organizations/${await organization()}/rollback`, body: { reason: "valid" } }),
  "POST /v1/organizations/{id}/preflight": async () => ({ path: `/v1/organizations/${await organization()}/preflight`, body: {} }),
  "PUT /v1/organizations/{id}/guard": async () => ({ path: `/v1/organizations/${await organization()}/guard`, body: { enabled: false } }),
  "GET /v1/organizations/{id}/health": async () => ({ path: `/v1/organizations/${await organization()}/health` }),
  "GET /v1/health": async () => ({ path: "/v1/health" }),
  "GET /v1/unmatched": async () => ({ path: "/v1/unmatched" }),
  "GET /v1/events": async () => ({ path: "/v1/events" }),
  "POST /v1/waves": async () => ({ path: "/v1/waves", body: { name: "valid", organizations: [await organization()], batchSize: 1, soakMinutes: 0 } }),
  "GET /v1/waves": async () => ({ path: "/v1/waves" }),
  "GET /v1/waves/{id}": async () => ({ path: "/v1/waves/nowave" }),
  "GET /v1/waves/{id}/events": async () => ({ path: "/v1/waves/nowave/events" }),
  "POST /v1/waves/{id}/pause": async () => ({ path: `/v1/waves/${await wave()}/pause`, body: { reason: "valid" } }),
  "POST /v1/waves/{id}/resume": async () => ({ path: `/v1/waves/${await wave("pause")}/resume`, body: { reason: "valid" } }),
  "POST /v1/waves/{id}/abort": async () => ({ path: `/v1/waves/${await wave()}/abort`, body: { reason: "valid" } }),
  "POST /v1/replay": async () => ({ path: "/v1/replay" }),
  "GET /v1/replay/verify": async () => ({ path: "/v1/replay/verify" }),
};

/** The scope one level short of each requirement. */
const SHORT_OF: Record<string, keyof typeof tokens> = { "migrations:read": "none", "migrations:write": "read", admin: "write" };

/** Codes every operation of a kind answers the same way, built from its valid request. */
function genericCases(route: string, scope: string | undefined, codes: Set<string>): Case[] {
  const valid = VALID[route];
  const cases: Case[] = [];
  const add = (code: ErrorCode, change: (sent: Sent) => Sent) => {
    if (codes.has(code) && valid) cases.push({ route, code, send: async () => change(await valid()) });
  };
  if (scope) {
    add("missing_token", (s) => ({ ...s, token: null }));
    add("invalid_token", (s) => ({ ...s, token: "not.a.token" }));
    add("insufficient_scope", (s) => ({ ...s, token: tokens[SHORT_OF[scope]!] }));
  }
  add("store_unavailable", (s) => ({ ...s, app: "down" }));
  add("invalid_request", (s) => ({ ...s, path: `${s.path}?unknown=1` }));
  add("unsupported_media_type", (s) => ({ ...s, raw: JSON.stringify(s.body ?? {}), body: undefined, headers: { "content-type": "text/plain" } }));
  add("malformed_json", (s) => ({ ...s, raw: "{not json", body: undefined }));
  add("body_too_large", (s) => ({ ...s, raw: JSON.stringify({ padding: "x".repeat(70_000) }), body: undefined }));
  return cases;
}

/** With If-Match and Idempotency-Key: the organization command's preconditions. */
function preconditionCases(route: string): Case[] {
  const valid = VALID[route]!;
  return [
    { route, code: "invalid_if_match", send: async () => ({ ...(await valid()), headers: { "if-match": 'W/"1"' } }) },
    { route, code: "version_conflict", send: async () => ({ ...(await valid()), headers: { "if-match": route === "POST /v1/organizations" ? "*" : '"99"' } }) },
    { route, code: "invalid_idempotency_key", send: async () => ({ ...(await valid()), headers: { "idempotency-key": "has spaces" } }) },
    {
      route,
      code: "idempotency_key_reused",
      send: async () => {
        const first = await valid();
        const key = unique("key");
        const method = route.split(" ")[0]!;
        expect((await send(method, { ...first, headers: { "idempotency-key": key } })).status).toBeLessThan(300);
        // The same key for a different request: another organization or another body.
        const second = await valid();
        return { ...second, headers: { "idempotency-key": key } };
      },
    },
  ];
}

const at = (path: string, extra: Omit<Sent, "path"> = {}) => async (): Promise<Sent> => ({ path, ...extra });

/** Codes particular to an operation, each with a request that provokes it. */
const SPECIFIC: Case[] = [
  ...preconditionCases("POST /v1/organizations"),
  { route: "POST /v1/organizations", code: "invalid_organization_id", send: at("/v1/organizations", { body: { id: "Not A Slug", name: "x" } }) },
  { route: "POST /v1/organizations", code: "invalid_name", send: async () => ({ path: "/v1/organizations", body: { id: unique("oa"), name: " " } }) },
  { route: "POST /v1/organizations", code: "invalid_identifier", send: async () => ({ path: "/v1/organizations", body: { id: unique("oa"), name: "x", identifiers: [{ kind: "domain", value: "https://x.com" }] } }) },
  {
    route: "POST /v1/organizations",
    code: "duplicate_identifier",
    send: async () => ({ path: "/v1/organizations", body: { id: unique("oa"), name: "x", identifiers: [{ kind: "client_id", value: "c" }, { kind: "client_id", value: "c" }] } }),
  },
  { route: "POST /v1/organizations", code: "invalid_tag", send: async () => ({ path: "/v1/organizations", body: { id: unique("oa"), name: "x", tags: ["Not A Tag"] } }) },
  { route: "POST /v1/organizations", code: "organization_exists", send: async () => ({ path: "/v1/organizations", body: { id: await organization(), name: "again" } }) },
  { route: "POST /v1/organizations", code: "identifier_taken", send: async () => ({ path: "/v1/organizations", body: { id: unique("oa"), name: "x", identifiers: [{ kind: "domain", value: `${await organization()}.com` }] } }) },

  { route: "GET /v1/organizations", code: "invalid_tag", send: at("/v1/organizations?tags=Not%20A%20Tag") },
  { route: "GET /v1/organizations", code: "unknown_provider", send: at("/v1/organizations?provider=nowhere") },
  { route: "GET /v1/organizations", code: "invalid_cursor", send: at("/v1/organizations?after=Not%20A%20Slug") },

  { route: "GET /v1/organizations/{id}", code: "invalid_organization_id", send: at("/v1/organizations/UPPER") },
  { route: "GET /v1/organizations/{id}", code: "organization_not_found", send: async () => ({ path: `/v1/organizations/${unique("none")}` }) },
  { route: "GET /v1/organizations/{id}/events", code: "invalid_organization_id", send: at("/v1/organizations/UPPER/events") },
  { route: "GET /v1/organizations/{id}/events", code: "organization_not_found", send: async () => ({ path: `/v1/organizations/${unique("none")}/events` }) },

  ...preconditionCases("POST /v1/organizations/{id}/identifiers"),
  { route: "POST /v1/organizations/{id}/identifiers", code: "invalid_identifier", send: async () => ({ path: `/v1/organizations/${await organization()}/identifiers`, body: { kind: "email", value: "a@b.com" } }) },
  { route: "POST /v1/organizations/{id}/identifiers", code: "invalid_organization_id", send: at("/v1/organizations/UPPER/identifiers", { body: { kind: "domain", value: "upper.com" } }) },
  { route: "POST /v1/organizations/{id}/identifiers", code: "organization_not_found", send: async () => ({ path: `/v1/organizations/${unique("none")}/identifiers`, body: { kind: "domain", value: `${unique("d")}.com` } }) },
  {
    route: "POST /v1/organizations/{id}/identifiers",
    code: "identifier_taken",
    send: async () => ({ path: `/v1/organizations/${await organization()}/identifiers`, body: { kind: "domain", value: `${await organization()}.com` } }),
  },

  ...preconditionCases("DELETE /v1/organizations/{id}/identifiers/{kind}/{value}"),
  { route: "DELETE /v1/organizations/{id}/identifiers/{kind}/{value}", code: "invalid_identifier", send: async () => ({ path: `/v1/organizations/${await organization()}/identifiers/email/a@b.com` }) },
  { route: "DELETE /v1/organizations/{id}/identifiers/{kind}/{value}", code: "invalid_organization_id", send: at("/v1/organizations/UPPER/identifiers/domain/upper.com") },
  { route: "DELETE /v1/organizations/{id}/identifiers/{kind}/{value}", code: "organization_not_found", send: async () => ({ path: `/v1/organizations/${unique("none")}/identifiers/domain/none.com` }) },
  { route: "DELETE /v1/organizations/{id}/identifiers/{kind}/{value}", code: "identifier_not_linked", send: async () => ({ path: `/v1/organizations/${await organization()}/identifiers/domain/other.com` }) },

  ...preconditionCases("PUT /v1/organizations/{id}/tags"),
  { route: "PUT /v1/organizations/{id}/tags", code: "invalid_tag", send: async () => ({ path: `/v1/organizations/${await organization()}/tags`, body: { tags: ["Not A Tag"] } }) },
  { route: "PUT /v1/organizations/{id}/tags", code: "invalid_organization_id", send: at("/v1/organizations/UPPER/tags", { body: { tags: [] } }) },
  { route: "PUT /v1/organizations/{id}/tags", code: "organization_not_found", send: async () => ({ path: `/v1/organizations/${unique("none")}/tags`, body: { tags: [] } }) },

  ...preconditionCases("POST /v1/organizations/{id}/migrate"),
  { route: "POST /v1/organizations/{id}/migrate", code: "invalid_organization_id", send: at("/v1/organizations/UPPER/migrate", { body: { reason: "r" } }) },
  { route: "POST /v1/organizations/{id}/migrate", code: "reason_required", send: async () => ({ path: `/v1/organizations/${await organization()}/migrate`, body: {} }) },
  { route: "POST /v1/organizations/{id}/migrate", code: "invalid_reason", send: async () => ({ path: `/v1/organizations/${await organization()}/migrate`, body: { reason: "x".repeat(1001) } }) },
  { route: "POST /v1/organizations/{id}/migrate", code: "organization_not_found", send: async () => ({ path: `/v1/organizations/${unique("none")}/migrate`, body: { reason: "r" } }) },
  { route: "POST /v1/organizations/{id}/migrate", code: "unknown_provider", send: async () => ({ path: `/v1/organizations/${await organization()}/migrate`, body: { reason: "r", to: "nowhere" } }) },
  { route: "POST /v1/organizations/{id}/migrate", code: "already_on_provider", send: async () => ({ path: `/v1/organizations/${await organization()}/migrate`, body: { reason: "r", to: "legacy" } }) },
  { route: "POST /v1/organizations/{id}/migrate", code: "preflight_required", send: async () => ({ path: `/v1/organizations/${await organization()}/migrate`, body: { reason: "r", requirePreflight: true } }) },

  ...preconditionCases("POST /v1/organizations/{id}/rollback").filter((c) => c.code !== "idempotency_key_reused"),
  {
    // A rollback needs a migration to roll back: the first request (with the key) is refused, and so is its reuse for another organization.
    route: "POST /v1/organizations/{id}/rollback",
    code: "idempotency_key_reused",
    send: async () => {
      const id = await organization();
      await call("POST", `/v1/organizations/${id}/migrate`, { reason: "r" });
      const key = unique("key");
      expect((await call("POST", `/v1/organizations/${id}/rollback`, { reason: "r" }, { "idempotency-key": key })).status).toBe(200);
      return { path: `/v1/organizations/${id}/rollback`, body: { reason: "another reason" }, headers: { "idempotency-key": key } };
    },
  },
  { route: "POST /v1/organizations/{id}/rollback", code: "invalid_organization_id", send: at("/v1/organizations/UPPER/rollback", { body: { reason: "r" } }) },
  { route: "POST /v1/organizations/{id}/rollback", code: "reason_required", send: async () => ({ path: `/v1/organizations/${await organization()}/rollback`, body: { reason: " " } }) },
  { route: "POST /v1/organizations/{id}/rollback", code: "invalid_reason", send: async () => ({ path: `/v1/organizations/${await organization()}/rollback`, body: { reason: "bad\u0000reason" } }) },
  { route: "POST /v1/organizations/{id}/rollback", code: "organization_not_found", send: async () => ({ path: `/v1/organizations/${unique("none")}/rollback`, body: { reason: "r" } }) },
  { route: "POST /v1/organizations/{id}/rollback", code: "nothing_to_roll_back", send: async () => ({ path: `/v1/organizations/${await organization()}/rollback`, body: { reason: "r" } }) },

  { route: "POST /v1/organizations/{id}/preflight", code: "preflight_not_configured", send: async () => ({ path: `/v1/organizations/${await organization()}/preflight`, app: "bare" }) },
  { route: "POST /v1/organizations/{id}/preflight", code: "organization_not_found", send: async () => ({ path: `/v1/organizations/${unique("none")}/preflight` }) },
  ...preconditionCases("POST /v1/organizations/{id}/preflight").filter((c) => c.code === "invalid_idempotency_key" || c.code === "idempotency_key_reused"),
  { route: "POST /v1/organizations/{id}/preflight", code: "invalid_reason", send: async () => ({ path: `/v1/organizations/${await organization()}/preflight`, body: { reason: "bad\u0000reason" } }) },
  { route: "POST /v1/organizations/{id}/preflight", code: "unknown_provider", send: async () => ({ path: `/v1/organizations/${await organization()}/preflight`, body: { to: "nowhere" } }) },

  { route: "PUT /v1/organizations/{id}/guard", code: "invalid_organization_id", send: at("/v1/organizations/UPPER/guard", { body: { enabled: true } }) },
  { route: "PUT /v1/organizations/{id}/guard", code: "organization_not_found", send: async () => ({ path: `/v1/organizations/${unique("none")}/guard`, body: { enabled: true } }) },

  { route: "GET /v1/organizations/{id}/health", code: "invalid_organization_id", send: at("/v1/organizations/UPPER/health") },
  { route: "GET /v1/organizations/{id}/health", code: "organization_not_found", send: async () => ({ path: `/v1/organizations/${unique("none")}/health` }) },
  { route: "GET /v1/organizations/{id}/health", code: "not_found", send: async () => ({ path: `/v1/organizations/${await organization()}/health`, app: "bare" }) },
  { route: "GET /v1/health", code: "not_found", send: at("/v1/health", { app: "bare" }) },
  { route: "GET /v1/unmatched", code: "not_found", send: at("/v1/unmatched", { app: "bare" }) },

  { route: "GET /v1/events", code: "invalid_organization_id", send: at("/v1/events?org=UPPER") },
  { route: "GET /v1/events", code: "invalid_cursor", send: at("/v1/events?after=not-a-cursor") },

  { route: "POST /v1/waves", code: "unknown_provider", send: async () => ({ path: "/v1/waves", body: { name: "w", to: "nowhere", organizations: [await organization()], batchSize: 1, soakMinutes: 0 } }) },
  { route: "POST /v1/waves", code: "invalid_organization_id", send: at("/v1/waves", { body: { name: "w", organizations: ["UPPER"], batchSize: 1, soakMinutes: 0 } }) },
  { route: "POST /v1/waves", code: "organization_not_found", send: async () => ({ path: "/v1/waves", body: { name: "w", organizations: [unique("none")], batchSize: 1, soakMinutes: 0 } }) },
  { route: "POST /v1/waves", code: "invalid_tag", send: at("/v1/waves", { body: { name: "w", selector: { tags: ["Not A Tag"] }, batchSize: 1, soakMinutes: 0 } }) },
  { route: "POST /v1/waves", code: "wave_selects_nothing", send: async () => ({ path: "/v1/waves", body: { name: "w", selector: { tags: [`none:${unique("t")}`] }, batchSize: 1, soakMinutes: 0 } }) },
  { route: "POST /v1/waves", code: "invalid_wave", send: async () => ({ path: "/v1/waves", body: { name: "w", organizations: [await organization()], batchSize: 0, soakMinutes: 0 } }) },
  { route: "POST /v1/waves", code: "wave_exists", send: async () => ({ path: "/v1/waves", body: { id: await wave(), name: "w", organizations: [await organization()], batchSize: 1, soakMinutes: 0 } }) },
  {
    route: "POST /v1/waves",
    code: "organization_in_wave",
    send: async () => {
      const id = await organization();
      expect((await call("POST", "/v1/waves", { name: "first", organizations: [id], batchSize: 1, soakMinutes: 60 })).status).toBe(201);
      return { path: "/v1/waves", body: { name: "second", organizations: [id], batchSize: 1, soakMinutes: 0 } };
    },
  },

  { route: "GET /v1/waves/{id}", code: "wave_not_found", send: at("/v1/waves/nowave") },
  { route: "GET /v1/waves/{id}/events", code: "wave_not_found", send: at("/v1/waves/nowave/events") },
  ...(["pause", "resume", "abort"] as const).flatMap((action): Case[] => {
    const route = `POST /v1/waves/{id}/${action}`;
    // Resume checks the wave is paused before it reads the reason.
    const reasonable = () => wave(action === "resume" ? "pause" : undefined);
    return [
      { route, code: "wave_not_found", send: at(`/v1/waves/nowave/${action}`, { body: { reason: "r" } }) },
      { route, code: "wave_finished", send: async () => ({ path: `/v1/waves/${await wave("abort")}/${action}`, body: { reason: "r" } }) },
      { route, code: "reason_required", send: async () => ({ path: `/v1/waves/${await reasonable()}/${action}`, body: {} }) },
      { route, code: "invalid_reason", send: async () => ({ path: `/v1/waves/${await reasonable()}/${action}`, body: { reason: "x".repeat(5000) } }) },
    ];
  }),
  { route: "POST /v1/waves/{id}/resume", code: "wave_not_paused", send: async () => ({ path: `/v1/waves/${await wave()}/resume`, body: { reason: "r" } }) },

  { route: "GET /reference/{asset}", code: "not_found", send: at("/reference/package.json") },
];

/** (operation, code) pairs as the document lists them: each operation's problem+json answers' `code` enums. */
function documentedPairs(): { pairs: Set<string>; scopes: Map<string, string | undefined> } {
  const pairs = new Set<string>();
  const scopes = new Map<string, string | undefined>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const route = `${method.toUpperCase()} ${path}`;
      scopes.set(route, operation.security?.[0]?.bearer[0]);
      for (const response of Object.values(operation.responses)) {
        for (const code of response.content?.["application/problem+json"]?.schema.properties.code.enum ?? []) pairs.add(`${route} ${code}`);
      }
    }
  }
  return { pairs, scopes };
}

function allCases(): Case[] {
  const { pairs, scopes } = documentedPairs();
  const generic = [...scopes].flatMap(([route, scope]) => {
    const codes = new Set([...pairs].filter((p) => p.startsWith(`${route} `)).map((p) => p.slice(route.length + 1)));
    const specific = new Set(SPECIFIC.filter((c) => c.route === route).map((c) => c.code));
    return genericCases(route, scope, codes).filter((c) => !specific.has(c.code));
  });
  return [...generic, ...SPECIFIC];
}

describe("every error code the OpenAPI document lists is answered by its operation", () => {
  test("the table provokes exactly the (operation, code) pairs the document lists", () => {
    const { pairs } = documentedPairs();
    expect(pairs.size).toBeGreaterThan(150);
    const provoked = new Set(allCases().map((c) => `${c.route} ${c.code}`));
    expect([...pairs].filter((p) => !provoked.has(p)).sort()).toEqual([]);
    expect([...provoked].filter((p) => !pairs.has(p)).sort()).toEqual([]);
  });

  test("each request gets its documented status and code, as problem+json", async () => {
    const failures: string[] = [];
    for (const c of allCases()) {
      const method = c.route.split(" ")[0]!;
      const r = await send(method, await c.send());
      const got = { status: r.status, code: typeof r.body === "object" ? r.body.code : undefined, type: r.type };
      const wanted = { status: statusOf(c.code), code: c.code, type: "application/problem+json" };
      if (JSON.stringify(got) !== JSON.stringify(wanted)) failures.push(`${c.route} ${c.code}: got ${JSON.stringify(got)}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

/** For each operation a request that succeeds (VALID's, or one on something that exists). */
const SUCCEEDS: Record<string, () => Promise<Sent>> = {
  ...VALID,
  "GET /v1/organizations/{id}": async () => ({ path: `/v1/organizations/${await organization()}` }),
  "GET /v1/organizations/{id}/events": async () => ({ path: `/v1/organizations/${await organization()}/events` }),
  "POST /v1/organizations/{id}/rollback": async () => {
    const id = await organization();
    expect((await call("POST", `/v1/organizations/${id}/migrate`, { reason: "r" })).status).toBe(200);
    return { path: `/v1/organizations/${id}/rollback`, body: { reason: "back" } };
  },
  "GET /v1/waves/{id}": async () => ({ path: `/v1/waves/${await wave()}` }),
  "GET /v1/waves/{id}/events": async () => ({ path: `/v1/waves/${await wave("pause")}/events` }),
  "GET /healthz": at("/healthz"),
  "GET /readyz": at("/readyz"),
};

describe("every operation's success answer is what the document says", () => {
  test("its status is a documented one and its JSON body has exactly the documented schema's fields", async () => {
    // Login outcomes and unmatched traffic as routers would have reported them, so the health bodies are not empty.
    const measured = await organization();
    const minute = Math.floor(Date.now() / 60_000) - 5;
    await full.outcomes!.record([
      { organizationId: measured, provider: "legacy", minute, outcome: "started", code: "", count: 3, durations: null },
      { organizationId: measured, provider: "legacy", minute, outcome: "succeeded", code: "", count: 2, durations: null },
      { organizationId: measured, provider: "legacy", minute, outcome: "failed", code: "access_denied", count: 1, durations: null },
    ]);
    await full.unmatched!.record([{ kind: "domain", value: `${unique("stray")}.com`, requestKind: "authorize", provider: "legacy", count: 2, firstSeen: Date.now() - 60_000, lastSeen: Date.now() }]);
    const checked: string[] = [];
    for (const [route, answers] of SUCCESS_SCHEMAS) {
      const succeed = route === "GET /v1/organizations/{id}/health" ? at(`/v1/organizations/${measured}/health`) : SUCCEEDS[route.replace(/:([A-Za-z]+)/g, "{$1}")];
      if (!succeed) continue;
      const r = await send(route.split(" ")[0]!, await succeed());
      expect({ route, status: r.status, documented: r.status in answers }).toEqual({ route, status: r.status, documented: true });
      const schema = answers[r.status];
      if (schema) expect({ route, body: schema.parse(r.body) }).toEqual({ route, body: r.body });
      checked.push(route);
    }
    // Every /v1 operation and the probes; /metrics, /openapi.json and the page are checked in openapi.test.ts.
    expect(checked.length).toBe(SUCCESS_SCHEMAS.size - 4);
  }, 60_000);
});
