import { unique } from "../support/unique.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { EventStore } from "../../db/event-store.ts";
import type { Database } from "../../db/sql.ts";
import { pgliteApi, type commandsApi } from "../support/api.ts";

let db: Database;
let store: EventStore;
let api: Awaited<ReturnType<typeof commandsApi>>;

beforeAll(async () => {
  ({ db, store, api } = await pgliteApi());
});
afterAll(async () => {
  await db.close();
});

async function eventCount(): Promise<number> {
  const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events");
  return rows[0]!.n;
}

describe("command API: the migration lifecycle", () => {
  test("register, migrate, roll back, read history, time travel and replay", async () => {
    const id = unique("acme");
    const created = await api.call("POST", "/v1/organizations", { id, name: "Acme", identifiers: [{ kind: "domain", value: `${id}.com` }, { kind: "saml_issuer", value: `http://www.okta.com/${id}` }] });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/v1/organizations/${id}`);
    expect(created.body).toMatchObject({ id, name: "Acme", provider: "legacy", rollbackTo: null, version: 1 });

    const migrated = await api.call("POST", `/v1/organizations/${id}/migrate`, { reason: "wave 1" });
    expect(migrated.status).toBe(200);
    expect(migrated.body).toEqual({ id, provider: "target", version: 2, position: expect.any(Number) });

    const current = await api.call("GET", `/v1/organizations/${id}`);
    expect(current.body).toMatchObject({ provider: "target", rollbackTo: "legacy", version: 2 });
    expect(current.headers.get("etag")).toBe('"2"');

    const rolledBack = await api.call("POST", `/v1/organizations/${id}/rollback`, { reason: "login errors" });
    expect(rolledBack.body).toMatchObject({ id, provider: "legacy", version: 3 });

    const history = await api.call("GET", `/v1/organizations/${id}/events`);
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual(["OrganizationRegistered", "OrganizationMigrated", "OrganizationRolledBack"]);
    expect(history.body.events[2]).toMatchObject({ streamId: `organization-${id}`, organizationId: id, version: 3, actor: "alice@example.com", reason: "login errors", data: { from: "target", to: "legacy" } });
    expect(history.body.events[2].requestId).toEqual(expect.any(String));
    expect(Date.parse(history.body.events[2].recordedAt)).not.toBeNaN();

    const past = await api.call("GET", `/v1/organizations/${id}?at=${migrated.body.position}`);
    expect(past.body).toMatchObject({ provider: "target", version: 2, asOf: { position: migrated.body.position } });
    const asOf = await api.call("GET", `/v1/organizations/${id}?asOf=${history.body.events[0].recordedAt}`);
    expect(asOf.body).toMatchObject({ provider: "legacy", version: 1 });
    const before = await api.call("GET", `/v1/organizations/${id}?asOf=2000-01-01T00:00:00Z`);
    expect(before.status).toBe(404);

    const verify = await api.call("GET", "/v1/replay/verify");
    expect(verify.body).toMatchObject({ matched: true, swapped: false, differences: [] });
    const replay = await api.call("POST", "/v1/replay");
    expect(replay.body).toMatchObject({ matched: true, swapped: true });
    expect(replay.body.events).toBeGreaterThanOrEqual(3);
  });

  test("asOf is exact: each event's shown recordedAt gives the state right after that event, even two commands in one millisecond", async () => {
    const id = unique("asof");
    await api.call("POST", "/v1/organizations", { id, name: "AsOf" });
    for (let i = 0; i < 3; i++) {
      await api.call("POST", `/v1/organizations/${id}/migrate`, { reason: "r" });
      await api.call("POST", `/v1/organizations/${id}/rollback`, { reason: "r" });
    }
    // A registration recorded by a clock an hour ahead: the next command's clock reads earlier.
    const ahead = unique("ahead");
    await db.query("INSERT INTO streams (stream_id, version) VALUES ($1, 1)", [`organization-${ahead}`]);
    await db.query(
      `INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata, recorded_at)
       VALUES ($1, 1, gen_random_uuid(), 'OrganizationRegistered', $2::jsonb, '{"actor":"t","reason":null,"requestId":"r","idempotencyKey":null,"schemaVersion":1}', now() + interval '1 hour')`,
      [`organization-${ahead}`, { organizationId: ahead, name: "Ahead", provider: "legacy", identifiers: [] }],
    );
    expect((await api.call("POST", `/v1/organizations/${ahead}/migrate`, { reason: "r" })).status).toBe(200);
    for (const org of [id, ahead]) {
      const events = (await api.call("GET", `/v1/organizations/${org}/events`)).body.events as { version: number; recordedAt: string }[];
      for (const event of events) {
        expect(event.recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
        const past = await api.call("GET", `/v1/organizations/${org}?asOf=${event.recordedAt}`);
        expect(past.body).toMatchObject({ version: event.version, asOf: { recordedAt: event.recordedAt } });
      }
    }
  });

  test("links and unlinks identifiers", async () => {
    const id = unique("link");
    await api.call("POST", "/v1/organizations", { id, name: "Link" });
    const linked = await api.call("POST", `/v1/organizations/${id}/identifiers`, { kind: "domain", value: `${id}.COM` });
    expect(linked.status).toBe(201);
    expect(linked.body.identifiers).toEqual([{ kind: "domain", value: `${id}.com` }]);
    const again = await api.call("POST", `/v1/organizations/${id}/identifiers`, { kind: "domain", value: `${id}.com` });
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(2);
    const unlinked = await api.call("DELETE", `/v1/organizations/${id}/identifiers/domain/${id}.com`);
    expect(unlinked.status).toBe(200);
    expect(unlinked.body.identifiers).toEqual([]);
    const issuer = encodeURIComponent("https://idp.example.com/saml/metadata?x=1");
    await api.call("POST", `/v1/organizations/${id}/identifiers`, { kind: "saml_issuer", value: "https://idp.example.com/saml/metadata?x=1" });
    expect((await api.call("DELETE", `/v1/organizations/${id}/identifiers/saml_issuer/${issuer}`)).status).toBe(200);
  });

  test("lists organizations, filtered by provider and paginated", async () => {
    const ids = [unique("list"), unique("list"), unique("list")].sort();
    for (const id of ids) await api.call("POST", "/v1/organizations", { id, name: id });
    await api.call("POST", `/v1/organizations/${ids[1]}/migrate`, { reason: "r", to: "other" });
    const onOther = await api.call("GET", "/v1/organizations?provider=other");
    expect(onOther.body.organizations.map((o: { id: string }) => o.id)).toEqual([ids[1]]);
    const first = await api.call("GET", "/v1/organizations?limit=1");
    expect(first.body.organizations).toHaveLength(1);
    const second = await api.call("GET", `/v1/organizations?limit=1&after=${first.body.next}`);
    expect(second.body.organizations[0].id > first.body.organizations[0].id).toBe(true);
  });

  test("pages through the global audit log and exports it as NDJSON", async () => {
    const id = unique("audit");
    await api.call("POST", "/v1/organizations", { id, name: "Audit" });
    await api.call("POST", `/v1/organizations/${id}/migrate`, { reason: "r" });
    await api.call("POST", `/v1/organizations/${id}/rollback`, { reason: "r" });
    const page1 = await api.call("GET", `/v1/events?org=${id}&limit=2`);
    expect(page1.body.events.map((e: { version: number }) => e.version)).toEqual([1, 2]);
    expect(page1.body.hasMore).toBe(true);
    const page2 = await api.call("GET", `/v1/events?org=${id}&limit=2&after=${page1.body.next}`);
    expect(page2.body.events.map((e: { version: number }) => e.version)).toEqual([3]);
    const typed = await api.call("GET", `/v1/events?org=${id}&type=OrganizationMigrated,OrganizationRolledBack`);
    expect(typed.body.events.map((e: { type: string }) => e.type)).toEqual(["OrganizationMigrated", "OrganizationRolledBack"]);
    const exported = await api.call("GET", `/v1/events?org=${id}`, undefined, { accept: "application/x-ndjson" });
    expect(exported.type).toBe("application/x-ndjson");
    const lines = (exported.body as string).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((e) => e.type)).toEqual(["OrganizationRegistered", "OrganizationMigrated", "OrganizationRolledBack"]);
    const all = await api.call("GET", "/v1/events", undefined, { accept: "application/x-ndjson" });
    expect((all.body as string).trim().split("\n").length).toBe(await eventCount());
  });
});

describe("command API: concurrency and retries", () => {
  test("If-Match with a stale version answers version_conflict and appends nothing", async () => {
    const id = unique("ifmatch");
    await api.call("POST", "/v1/organizations", { id, name: "x" });
    const ok = await api.call("POST", `/v1/organizations/${id}/migrate`, { reason: "r" }, { "if-match": '"1"' });
    expect(ok.status).toBe(200);
    const before = await eventCount();
    const stale = await api.call("POST", `/v1/organizations/${id}/rollback`, { reason: "r" }, { "if-match": '"1"' });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: "version_conflict", expected: 1, actual: 2 });
    expect(await eventCount()).toBe(before);
  });

  test("a retried request with the same Idempotency-Key gets the first answer and appends nothing", async () => {
    const id = unique("idem");
    await api.call("POST", "/v1/organizations", { id, name: "x" });
    const key = unique("key");
    const first = await api.call("POST", `/v1/organizations/${id}/migrate`, { reason: "r" }, { "idempotency-key": key });
    const before = await eventCount();
    const retry = await api.call("POST", `/v1/organizations/${id}/migrate`, { reason: "r" }, { "idempotency-key": key });
    expect(retry.status).toBe(first.status);
    expect(retry.body).toEqual(first.body);
    expect(await eventCount()).toBe(before);
    const reused = await api.call("POST", `/v1/organizations/${id}/migrate`, { reason: "different" }, { "idempotency-key": key });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe("idempotency_key_reused");
    expect(await eventCount()).toBe(before);
    const events = await api.call("GET", `/v1/organizations/${id}/events`);
    expect(events.body.events[1].idempotencyKey).toBe(key);
  });
});
