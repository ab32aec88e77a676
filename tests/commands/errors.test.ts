import { unique } from "../support/unique.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import type { EventStore } from "../../db/event-store.ts";
import type { Database } from "../../db/sql.ts";
import { pgliteApi, type commandsApi } from "../support/api.ts";

let db: Database;
let store: EventStore;
let api: Awaited<ReturnType<typeof commandsApi>>;

beforeAll(async () => {
  ({ db, store, api } = await pgliteApi({ audience: "ssomigrate-api" }));
});
afterAll(async () => {
  await db.close();
});

const eventCount = async () => (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events"))[0]!.n;

/** Every refusal is problem+json with a stable code, and nothing reaches the log. */
async function expectProblem(response: Promise<{ status: number; type: string; body: any }>, status: number, code: string) {
  const before = await eventCount();
  const r = await response;
  expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
  expect(r.type).toBe("application/problem+json");
  expect(r.body).toMatchObject({ status, type: `urn:ssomigrate:problem:${code}`, detail: expect.any(String), requestId: expect.any(String) });
  expect(await eventCount()).toBe(before);
}

describe("command API: every error code", () => {
  let acme: string;
  beforeAll(async () => {
    acme = unique("acme");
    await api.call("POST", "/v1/organizations", { id: acme, name: "Acme", identifiers: [{ kind: "domain", value: `${acme}.com` }] });
  });

  test("malformed_json", () => expectProblem(api.call("POST", "/v1/organizations", "{not json"), 400, "malformed_json"));
  test("invalid_request for unknown fields", () => expectProblem(api.call("POST", "/v1/organizations", { id: "x", name: "x", admin: true }), 400, "invalid_request"));
  test("invalid_request for mistyped fields", () => expectProblem(api.call("POST", "/v1/organizations", { id: 1, name: "x" }), 400, "invalid_request"));
  test("unsupported_media_type", () =>
    expectProblem(api.call("POST", "/v1/organizations", JSON.stringify({ id: "x", name: "x" }), { "content-type": "text/plain" }), 415, "unsupported_media_type"));
  test("body_too_large", () => expectProblem(api.call("POST", "/v1/organizations", { id: "big", name: "x".repeat(70_000) }), 413, "body_too_large"));
  test("invalid_identifier", () =>
    expectProblem(api.call("POST", "/v1/organizations", { id: unique("bad"), name: "x", identifiers: [{ kind: "domain", value: "https://acme.com" }] }), 422, "invalid_identifier"));
  test("invalid_identifier for an unknown kind", () =>
    expectProblem(api.call("POST", `/v1/organizations/${acme}/identifiers`, { kind: "email", value: "a@b.com" }), 422, "invalid_identifier"));
  test("invalid_organization_id", () => expectProblem(api.call("POST", "/v1/organizations", { id: "Not A Slug", name: "x" }), 422, "invalid_organization_id"));
  test("invalid_name", () => expectProblem(api.call("POST", "/v1/organizations", { id: unique("n"), name: " " }), 422, "invalid_name"));
  test("duplicate_identifier", () =>
    expectProblem(api.call("POST", "/v1/organizations", { id: unique("d"), name: "x", identifiers: [{ kind: "client_id", value: "c" }, { kind: "client_id", value: "c" }] }), 422, "duplicate_identifier"));
  test("organization_exists", () => expectProblem(api.call("POST", "/v1/organizations", { id: acme, name: "again" }), 409, "organization_exists"));
  test("identifier_taken", () =>
    expectProblem(api.call("POST", "/v1/organizations", { id: unique("t"), name: "x", identifiers: [{ kind: "domain", value: `${acme}.com` }] }), 409, "identifier_taken"));
  test("organization_not_found on read, history and commands", async () => {
    await expectProblem(api.call("GET", "/v1/organizations/nobody"), 404, "organization_not_found");
    await expectProblem(api.call("GET", "/v1/organizations/nobody/events"), 404, "organization_not_found");
    await expectProblem(api.call("POST", "/v1/organizations/nobody/migrate", { reason: "r" }), 404, "organization_not_found");
  });
  test("identifier_not_linked", () => expectProblem(api.call("DELETE", `/v1/organizations/${acme}/identifiers/domain/other.com`), 404, "identifier_not_linked"));
  test("unknown_provider", () => expectProblem(api.call("POST", `/v1/organizations/${acme}/migrate`, { to: "nope", reason: "r" }), 422, "unknown_provider"));
  test("reason_required", () => expectProblem(api.call("POST", `/v1/organizations/${acme}/migrate`, { reason: "" }), 422, "reason_required"));
  test("reason_required when the reason is missing, as when it is empty", () => expectProblem(api.call("POST", `/v1/organizations/${acme}/migrate`, {}), 422, "reason_required"));
  test("already_on_provider", () => expectProblem(api.call("POST", `/v1/organizations/${acme}/migrate`, { to: "legacy", reason: "r" }), 409, "already_on_provider"));
  test("nothing_to_roll_back", () => expectProblem(api.call("POST", `/v1/organizations/${acme}/rollback`, { reason: "r" }), 409, "nothing_to_roll_back"));
  test("invalid_if_match", () => expectProblem(api.call("POST", `/v1/organizations/${acme}/migrate`, { reason: "r" }, { "if-match": "yesterday" }), 400, "invalid_if_match"));
  test("invalid_idempotency_key", () =>
    expectProblem(api.call("POST", `/v1/organizations/${acme}/migrate`, { reason: "r" }, { "idempotency-key": "has space" }), 400, "invalid_idempotency_key"));
  test("invalid_cursor", () => expectProblem(api.call("GET", "/v1/events?after=abc"), 400, "invalid_cursor"));
  test("invalid_request for bad query parameters", async () => {
    await expectProblem(api.call("GET", "/v1/events?limit=-1"), 400, "invalid_request");
    await expectProblem(api.call("GET", "/v1/events?type=Nope"), 400, "invalid_request");
    await expectProblem(api.call("GET", "/v1/events?since=yesterday"), 400, "invalid_request");
    await expectProblem(api.call("GET", `/v1/organizations/${acme}?at=1&asOf=2024-01-01T00:00:00Z`), 400, "invalid_request");
  });
  test("not_found for unknown routes", () => expectProblem(api.call("GET", "/v1/nothing-here"), 404, "not_found"));
  test("method_not_allowed names the methods the path answers (Allow), for a path that exists", async () => {
    await expectProblem(api.call("DELETE", `/v1/organizations/${acme}`), 405, "method_not_allowed");
    const raw = await api.app.request(`/v1/organizations/${acme}/migrate`, { method: "GET" });
    expect(raw.status).toBe(405);
    expect(raw.headers.get("allow")).toBe("POST");
    expect((await api.app.request("/v1/organizations", { method: "PATCH" })).headers.get("allow")).toBe("GET, HEAD, POST");
    // A path no route has is still not_found, whatever the method.
    expect((await api.app.request(`/v1/organizations/${acme}/nothing`, { method: "POST" })).status).toBe(404);
  });
});

describe("command API: authentication and scopes", () => {
  const attempt = (authorization?: string) =>
    api.call("GET", "/v1/organizations", undefined, authorization === undefined ? { authorization: "" } : { authorization });

  test("no token is 401 missing_token with a Bearer challenge", async () => {
    const response = await api.app.request("/v1/organizations");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("Bearer");
    expect((await response.json()).code).toBe("missing_token");
  });
  test("a token signed with another key is 401 invalid_token", async () => {
    const forged = await new SignJWT({ scope: "admin" }).setProtectedHeader({ alg: "HS256" }).setSubject("mallory").setAudience("ssomigrate-api").setExpirationTime("5m")
      .sign(new TextEncoder().encode("another-secret-of-at-least-32-bytes!!"));
    await expectProblem(attempt(`Bearer ${forged}`), 401, "invalid_token");
  });
  test("an expired token is 401 invalid_token", async () =>
    expectProblem(attempt(`Bearer ${await api.token(["admin"], "bob", { audience: "ssomigrate-api", ttlSeconds: -60 })}`), 401, "invalid_token"));
  test("a token for another audience is 401 invalid_token", async () =>
    expectProblem(attempt(`Bearer ${await api.token(["admin"], "bob", { audience: "someone-else" })}`), 401, "invalid_token"));
  test("garbage in the Authorization header is 401 invalid_token", async () => {
    await expectProblem(attempt("Basic dXNlcjpwYXNz"), 401, "invalid_token");
    await expectProblem(attempt("Bearer not.a.jwt"), 401, "invalid_token");
  });
  test("a read-only token cannot write: 403 insufficient_scope", async () => {
    const reader = await api.token(["migrations:read"], "auditor", { audience: "ssomigrate-api" });
    expect((await attempt(`Bearer ${reader}`)).status).toBe(200);
    await expectProblem(api.call("POST", "/v1/organizations", { id: unique("r"), name: "x" }, { authorization: `Bearer ${reader}` }), 403, "insufficient_scope");
  });
  test("replay needs the admin scope", async () => {
    const writer = await api.token(["migrations:write"], "operator", { audience: "ssomigrate-api" });
    await expectProblem(api.call("POST", "/v1/replay", undefined, { authorization: `Bearer ${writer}` }), 403, "insufficient_scope");
    await expectProblem(api.call("GET", "/v1/replay/verify", undefined, { authorization: `Bearer ${writer}` }), 403, "insufficient_scope");
  });
  test("a token without scopes reads nothing", async () =>
    expectProblem(attempt(`Bearer ${await api.token([], "nobody", { audience: "ssomigrate-api" })}`), 403, "insufficient_scope"));
  test("the token's subject is the actor of the events it causes", async () => {
    const id = unique("actor");
    const operator = await api.token(["migrations:write"], "carol@example.com", { audience: "ssomigrate-api" });
    await api.call("POST", "/v1/organizations", { id, name: "x" }, { authorization: `Bearer ${operator}` });
    const history = await api.call("GET", `/v1/organizations/${id}/events`);
    expect(history.body.events[0].actor).toBe("carol@example.com");
  });
  test("health endpoints need no token", async () => {
    expect((await api.app.request("/healthz")).status).toBe(200);
    expect((await api.app.request("/readyz")).status).toBe(200);
  });
});
