import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "../../db/sql.ts";
import { createCommandsApp } from "../../services/commands/app.ts";
import { createTokenVerifier } from "../../services/commands/auth.ts";
import { openEventStore } from "../../db/event-store.ts";
import { pgliteApi, TEST_SECRET, type commandsApi } from "../support/api.ts";
import { PROVIDERS } from "../support/commands.ts";
import { unique } from "../support/unique.ts";

let db: Database;
let api: Awaited<ReturnType<typeof commandsApi>>;
let acme: string;

beforeAll(async () => {
  ({ db, api } = await pgliteApi());
  acme = unique("acme");
  const created = await api.call("POST", "/v1/organizations", { id: acme, name: "Acme", identifiers: [{ kind: "domain", value: `${acme}.com` }] });
  expect(created.status).toBe(201);
});
afterAll(async () => {
  await db.close();
});

const eventCount = async () => (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events"))[0]!.n;

/** A refusal: the status and code expected, problem+json, plain words, nothing appended. */
async function refused(response: Promise<{ status: number; type: string; body: any }>, status: number, code: string) {
  const before = await eventCount();
  const r = await response;
  expect({ status: r.status, code: r.body?.code }).toEqual({ status, code });
  expect(r.type).toBe("application/problem+json");
  expect(r.body.detail).not.toMatch(/Invalid input|expected string|received|Too big|Too small/);
  expect(await eventCount()).toBe(before);
  return r.body as { detail: string };
}

/** Text PostgreSQL jsonb cannot hold, or that no field should: each must be refused, never a 500. */
const HOSTILE = {
  nul: "a\u0000b",
  "lone high surrogate": "a\ud800b",
  "lone low surrogate": "a\udfffb",
  "ten thousand characters": "x".repeat(10_000),
};
const INVISIBLE = { "zero-width space": "a\u200bb", "right-to-left override": "a\u202eb", "byte order mark": "\ufeffab" };

describe("free text that the event log cannot hold is refused with 422", () => {
  for (const [label, bad] of Object.entries(HOSTILE)) {
    test(`a name with ${label} is invalid_name`, () => refused(api.call("POST", "/v1/organizations", { id: unique("n"), name: bad }), 422, "invalid_name"));
    test(`a reason with ${label} is invalid_reason`, () => refused(api.call("POST", `/v1/organizations/${acme}/migrate`, { reason: bad }), 422, "invalid_reason"));
    test(`a rollback reason with ${label} is invalid_reason`, () => refused(api.call("POST", `/v1/organizations/${acme}/rollback`, { reason: bad }), 422, "invalid_reason"));
    test(`an organization id with ${label} is invalid_organization_id, in the body and in every path`, async () => {
      await refused(api.call("POST", "/v1/organizations", { id: bad, name: "x" }), 422, "invalid_organization_id");
      const path = encodeURIComponent(bad.replace(/[\ud800-\udfff]/g, "")) + (bad.includes("\u0000") ? "" : "%00");
      await refused(api.call("POST", `/v1/organizations/${path}/migrate`, { reason: "r" }), 422, "invalid_organization_id");
      await refused(api.call("POST", `/v1/organizations/${path}/identifiers`, { kind: "domain", value: "x.com" }), 422, "invalid_organization_id");
      await refused(api.call("GET", `/v1/organizations/${path}`), 422, "invalid_organization_id");
      await refused(api.call("GET", `/v1/organizations/${path}/events`), 422, "invalid_organization_id");
      await refused(api.call("GET", `/v1/events?org=${path}`), 422, "invalid_organization_id");
    });
    for (const kind of ["domain", "saml_issuer", "oidc_issuer", "connection", "client_id"]) {
      test(`a ${kind} with ${label} is invalid_identifier`, async () => {
        await refused(api.call("POST", `/v1/organizations/${acme}/identifiers`, { kind, value: bad }), 422, "invalid_identifier");
        await refused(api.call("POST", "/v1/organizations", { id: unique("i"), name: "x", identifiers: [{ kind, value: bad }] }), 422, "invalid_identifier");
      });
    }
  }

  for (const [label, bad] of Object.entries(INVISIBLE)) {
    for (const kind of ["domain", "saml_issuer", "oidc_issuer"]) {
      const value = kind === "domain" ? `${bad}.com` : `https://idp.example.com/${bad}`;
      test(`a ${kind} with a ${label} is invalid_identifier`, () =>
        refused(api.call("POST", `/v1/organizations/${acme}/identifiers`, { kind, value }), 422, "invalid_identifier"));
    }
  }

  test("escapes in the raw JSON body are caught as well as decoded strings", async () => {
    await refused(api.call("POST", "/v1/organizations", `{"id":"${unique("r")}","name":"A\\u0000"}`), 422, "invalid_name");
    await refused(api.call("POST", "/v1/organizations", `{"id":"${unique("r")}","name":"A\\udc00"}`), 422, "invalid_name");
    await refused(api.call("POST", `/v1/organizations/${acme}/migrate`, `{"reason":"\\ud83d"}`), 422, "invalid_reason");
  });

  test("a command takes no query parameters, and replay takes no body: each is refused, not ignored", async () => {
    await refused(api.call("POST", `/v1/organizations/${acme}/migrate?to=target`, { reason: "r" }), 400, "invalid_request");
    await refused(api.call("POST", "/v1/replay", { swap: false }), 400, "invalid_request");
  });

  test("bytes that are not UTF-8 are refused, never stored as U+FFFD", async () => {
    const bytes = (...parts: (string | number[])[]) => new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...new TextEncoder().encode(p)] : p)));
    const invalid = await refused(api.call("POST", "/v1/organizations", bytes(`{"id":"${unique("r")}","name":"a`, [0xff], `"}`)), 400, "malformed_json");
    expect(invalid.detail).toContain("UTF-8");
    // A surrogate written as CESU-8 bytes is not UTF-8 either.
    await refused(api.call("POST", `/v1/organizations/${acme}/migrate`, bytes(`{"reason":"a`, [0xed, 0xa0, 0x80], `"}`)), 400, "malformed_json");
  });

  test("a reason may span lines; a name may be any printable Unicode", async () => {
    const id = unique("u");
    const created = await api.call("POST", "/v1/organizations", { id, name: "Ünïcødé 🚀 株式会社" });
    expect(created.status).toBe(201);
    expect(created.body.name).toBe("Ünïcødé 🚀 株式会社");
    const migrated = await api.call("POST", `/v1/organizations/${id}/migrate`, { reason: "wave 1\n\tticket OPS-12 🚀" });
    expect(migrated.status).toBe(200);
    const history = await api.call("GET", `/v1/organizations/${id}/events`);
    expect(history.body.events[1].reason).toBe("wave 1\n\tticket OPS-12 🚀");
  });

  test("an Idempotency-Key or If-Match carrying non-ASCII is refused, not stored", async () => {
    await refused(api.call("POST", `/v1/organizations/${acme}/migrate`, { reason: "r" }, { "idempotency-key": "k\u00e9y" }), 400, "invalid_idempotency_key");
    await refused(api.call("POST", `/v1/organizations/${acme}/migrate`, { reason: "r" }, { "idempotency-key": "k".repeat(10_000) }), 400, "invalid_idempotency_key");
    await refused(api.call("POST", `/v1/organizations/${acme}/migrate`, { reason: "r" }, { "if-match": '"1\u00e9"' }), 400, "invalid_if_match");
  });
});

describe("a token's sub names a person or a system, printably", () => {
  const subjects = { nul: "bob\u0000", "line break": "bob\nadmin", "lone surrogate": "bob\ud800", "zero-width space": "b\u200bob", "bidi override": "\u202ebob", "256 characters": "b".repeat(256) };
  for (const [label, subject] of Object.entries(subjects)) {
    test(`a sub with ${label} is 401 invalid_token, with the reason given`, async () => {
      const token = await api.token(undefined, subject);
      const before = await eventCount();
      const response = await api.app.request(`/v1/organizations/${acme}/migrate`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ reason: "r" }),
      });
      expect(response.status).toBe(401);
      const body = await response.json();
      expect(body.code).toBe("invalid_token");
      expect(body.detail).toMatch(/^the token's subject \(sub\) must/);
      expect(await eventCount()).toBe(before);
    });
  }
  test("the refusal's reason is in the API's log line for the request, and the token is not", async () => {
    const logs: Record<string, unknown>[] = [];
    const app = createCommandsApp({ store: await openEventStore(db), providers: PROVIDERS, verifyToken: await createTokenVerifier({ secret: TEST_SECRET }), log: (e) => logs.push(e) });
    const token = await api.token(undefined, "bob\u0000");
    const response = await app.request(`/v1/organizations/${acme}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    const line = logs.find((l) => l.msg === "request");
    expect(line).toMatchObject({ status: 401, code: "invalid_token", reason: "the token's subject (sub) must not contain control characters" });
    expect(JSON.stringify(logs)).not.toContain(token);
  });
  test("a 255-character sub with Unicode letters is accepted", async () => {
    const token = await api.token(undefined, "ü".repeat(255));
    const response = await api.app.request(`/v1/organizations/${acme}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
  });
});

describe("the same mistake gets the same code, in plain words", () => {
  test("a missing, null, empty or blank reason is reason_required", async () => {
    for (const body of [{}, { reason: null }, { reason: "" }, { reason: "  \n" }]) {
      await refused(api.call("POST", `/v1/organizations/${acme}/migrate`, body), 422, "reason_required");
      await refused(api.call("POST", `/v1/organizations/${acme}/rollback`, body), 422, "reason_required");
    }
  });
  test("a too-long, malformed or missing id is invalid_organization_id", async () => {
    for (const body of [{ id: "a".repeat(64), name: "x" }, { id: "A!", name: "x" }, { id: "", name: "x" }, { name: "x" }]) {
      await refused(api.call("POST", "/v1/organizations", body), 422, "invalid_organization_id");
    }
    await refused(api.call("GET", `/v1/organizations/${"a".repeat(64)}`), 422, "invalid_organization_id");
  });
  test("a missing, empty or too-long name is invalid_name", async () => {
    for (const name of [undefined, "", "   ", "x".repeat(201)]) {
      await refused(api.call("POST", "/v1/organizations", { id: unique("nm"), ...(name === undefined ? {} : { name }) }), 422, "invalid_name");
    }
  });
  test("a mistyped field is named in plain words", async () => {
    const mistyped = await refused(api.call("POST", "/v1/organizations", { id: unique("t"), name: 42 }), 400, "invalid_request");
    expect(mistyped.detail).toBe("name must be a string");
    const nested = await refused(api.call("POST", "/v1/organizations", { id: unique("t"), name: "x", identifiers: [{ kind: "domain" }] }), 400, "invalid_request");
    expect(nested.detail).toBe("identifiers[0].value is required");
    const notObject = await refused(api.call("POST", "/v1/organizations", "[1,2]"), 400, "invalid_request");
    expect(notObject.detail).toBe("the body must be a JSON object");
    const tooMany = await refused(
      api.call("POST", "/v1/organizations", { id: unique("t"), name: "x", identifiers: Array.from({ length: 101 }, (_, i) => ({ kind: "domain", value: `d${i}.com` })) }),
      400,
      "invalid_request",
    );
    expect(tooMany.detail).toBe("identifiers has at most 100 entries");
    const unknown = await refused(api.call("POST", `/v1/organizations/${acme}/migrate`, { reason: "r", force: true }), 400, "invalid_request");
    expect(unknown.detail).toBe('unknown field "force"');
  });
});

describe("what a refusal echoes is bounded", () => {
  test("a 10,000-character provider or identifier kind is refused without echoing it whole", async () => {
    const to = await refused(api.call("POST", `/v1/organizations/${acme}/migrate`, { to: "p".repeat(10_000), reason: "r" }), 422, "unknown_provider");
    expect(to.detail.length).toBeLessThan(200);
    const kind = await api.call("POST", `/v1/organizations/${acme}/identifiers`, { kind: "k".repeat(10_000), value: "v" });
    expect(kind.status).toBe(422);
    expect(JSON.stringify(kind.body).length).toBeLessThan(1000);
  });
});

describe("query parameters", () => {
  test("an unknown provider in the organization list is 422 unknown_provider", () =>
    refused(api.call("GET", "/v1/organizations?provider=nope"), 422, "unknown_provider"));
  test("a known provider still filters", async () => {
    const r = await api.call("GET", "/v1/organizations?provider=legacy");
    expect(r.status).toBe(200);
    expect(r.body.organizations.map((o: { id: string }) => o.id)).toContain(acme);
  });
  test("unknown or repeated query parameters are 400 invalid_request on every GET endpoint", async () => {
    for (const path of ["/v1/organizations", `/v1/organizations/${acme}`, `/v1/organizations/${acme}/events`, "/v1/events", "/v1/replay/verify"]) {
      const body = await refused(api.call("GET", `${path}?bogus=1`), 400, "invalid_request");
      expect(body.detail).toContain('unknown query parameter "bogus"');
    }
    await refused(api.call("GET", "/v1/events?limit=1&limit=2"), 400, "invalid_request");
    await refused(api.call("GET", `/v1/organizations/${acme}?at=1&at=2`), 400, "invalid_request");
  });
  test("a list cursor that is no organization id is invalid_cursor", async () => {
    await refused(api.call("GET", "/v1/organizations?after=%00"), 400, "invalid_cursor");
    await refused(api.call("GET", `/v1/organizations?after=${"a".repeat(10_000)}`), 400, "invalid_cursor");
  });
  test("hostile values in every other parameter are refused, never a 500", async () => {
    for (const query of ["type=%00", "since=2020-01-01%00", "until=%ED%A0%80", `limit=${"9".repeat(10_000)}`, "after=%00"]) {
      const r = await api.call("GET", `/v1/events?${query}`);
      expect(r.status).toBe(400);
    }
    for (const query of ["at=%00", "asOf=2020-01-01%00"]) expect((await api.call("GET", `/v1/organizations/${acme}?${query}`)).status).toBe(400);
  });
});

describe("If-Match follows RFC 9110", () => {
  test("* lets a command act on any current version of an organization that exists", async () => {
    const id = unique("star");
    await api.call("POST", "/v1/organizations", { id, name: "Star" });
    const migrated = await api.call("POST", `/v1/organizations/${id}/migrate`, { reason: "r" }, { "if-match": "*" });
    expect(migrated.status).toBe(200);
    expect(migrated.body.version).toBe(2);
  });
  test("* on an organization that does not exist changes nothing", async () => {
    await refused(api.call("POST", `/v1/organizations/${unique("none")}/migrate`, { reason: "r" }, { "if-match": "*" }), 404, "organization_not_found");
    const body = await refused(api.call("POST", "/v1/organizations", { id: unique("new"), name: "x" }, { "if-match": "*" }), 409, "version_conflict");
    expect(body.detail).toContain("If-Match: *");
  });
  test("a weak validator is refused naming the strong-comparison rule", async () => {
    const body = await refused(api.call("POST", `/v1/organizations/${acme}/migrate`, { reason: "r" }, { "if-match": 'W/"1"' }), 400, "invalid_if_match");
    expect(body.detail).toContain("RFC 9110");
    expect(body.detail).toContain("strong comparison");
  });
  test("a list of ETags is refused with a clear message", async () => {
    const body = await refused(api.call("POST", `/v1/organizations/${acme}/migrate`, { reason: "r" }, { "if-match": '"1", "2"' }), 400, "invalid_if_match");
    expect(body.detail).toContain("one version ETag");
  });
});

describe("identifier spelling through the API: one identity, one owner", () => {
  test("an OIDC issuer registered in one spelling is taken in every other", async () => {
    const a = unique("iss");
    const b = unique("iss");
    const host = `${a}.example.com`;
    const created = await api.call("POST", "/v1/organizations", { id: a, name: "A", identifiers: [{ kind: "oidc_issuer", value: `HTTPS://${host.toUpperCase()}:443/` }] });
    expect(created.status).toBe(201);
    expect(created.body.identifiers).toEqual([{ kind: "oidc_issuer", value: `https://${host}` }]);
    await api.call("POST", "/v1/organizations", { id: b, name: "B" });
    for (const spelling of [`https://${host}`, `https://${host}/`, `https://${host.toUpperCase()}`]) {
      await refused(api.call("POST", `/v1/organizations/${b}/identifiers`, { kind: "oidc_issuer", value: spelling }), 409, "identifier_taken");
    }
    const again = await api.call("POST", `/v1/organizations/${a}/identifiers`, { kind: "oidc_issuer", value: `https://${host}/` });
    expect({ status: again.status, version: again.body.version }).toEqual({ status: 200, version: 1 });
    const unlinked = await api.call("DELETE", `/v1/organizations/${a}/identifiers/oidc_issuer/${encodeURIComponent(`https://${host.toUpperCase()}/`)}`);
    expect(unlinked.status).toBe(200);
    expect(unlinked.body.identifiers).toEqual([]);
  });
  test("a Unicode or trailing-dot domain is stored as punycode, and its other spellings are taken", async () => {
    const a = unique("idn");
    const b = unique("idn");
    const created = await api.call("POST", "/v1/organizations", { id: a, name: "A", identifiers: [{ kind: "domain", value: `${a}-MÜNCHEN.de.` }] });
    expect(created.status).toBe(201);
    const stored = created.body.identifiers[0].value as string;
    expect(stored).toMatch(/^xn--.*\.de$/);
    await api.call("POST", "/v1/organizations", { id: b, name: "B" });
    await refused(api.call("POST", `/v1/organizations/${b}/identifiers`, { kind: "domain", value: `${a}-münchen.de` }), 409, "identifier_taken");
    await refused(api.call("POST", `/v1/organizations/${b}/identifiers`, { kind: "domain", value: `${stored}.` }), 409, "identifier_taken");
  });
});
