import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "../../db/sql.ts";
import { pgliteApi, type commandsApi } from "../support/api.ts";
import { unique } from "../support/unique.ts";

let db: Database;
let api: Awaited<ReturnType<typeof commandsApi>>;

beforeAll(async () => {
  ({ db, api } = await pgliteApi());
});
afterAll(async () => {
  await db.close();
});

describe("organization tags", () => {
  test("are set at registration, replaced by PUT /tags as an event, and shown sorted", async () => {
    const id = unique("tagged");
    const created = await api.call("POST", "/v1/organizations", { id, name: "Tagged", tags: ["tier:enterprise", "region:eu"] });
    expect(created.status).toBe(201);
    expect(created.body.tags).toEqual(["region:eu", "tier:enterprise"]);
    const set = await api.call("PUT", `/v1/organizations/${id}/tags`, { tags: ["tier:enterprise", "beta"] }, { "if-match": '"1"' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ tags: ["beta", "tier:enterprise"], version: 2 });
    const again = await api.call("PUT", `/v1/organizations/${id}/tags`, { tags: ["beta", "tier:enterprise"] });
    expect(again.body).toMatchObject({ version: 2 });
    expect((await api.call("GET", `/v1/organizations/${id}`)).body.tags).toEqual(["beta", "tier:enterprise"]);
    const history = await api.call("GET", `/v1/organizations/${id}/events`);
    expect(history.body.events.map((e: { type: string; data: unknown }) => [e.type, (e.data as { tags?: string[] }).tags])).toEqual([
      ["OrganizationRegistered", ["region:eu", "tier:enterprise"]],
      ["OrganizationTagsSet", ["beta", "tier:enterprise"]],
    ]);
  });

  test("select organizations in the list: every tag asked for must be carried", async () => {
    const marker = unique("wave").replace(/[^a-z0-9]/g, "");
    const a = unique("sel-a");
    const b = unique("sel-b");
    await api.call("POST", "/v1/organizations", { id: a, name: "A", tags: [`batch:${marker}`, "region:eu"] });
    await api.call("POST", "/v1/organizations", { id: b, name: "B", tags: [`batch:${marker}`, "region:us"] });
    const both = await api.call("GET", `/v1/organizations?tags=batch:${marker}`);
    expect(both.body.organizations.map((o: { id: string }) => o.id).sort()).toEqual([a, b].sort());
    const eu = await api.call("GET", `/v1/organizations?tags=batch:${marker},region:eu`);
    expect(eu.body.organizations.map((o: { id: string }) => o.id)).toEqual([a]);
    const bad = await api.call("GET", "/v1/organizations?tags=Region:EU");
    expect(bad).toMatchObject({ status: 422, body: { code: "invalid_tag" } });
  });

  test("refuses a malformed, repeated or excess tag with invalid_tag, appending nothing", async () => {
    const id = unique("badtags");
    for (const tags of [["Tier:Enterprise"], ["a b"], [""], ["x:"], ["dup", "dup"], ["a".repeat(65)], Array.from({ length: 33 }, (_, i) => `t${i}`)]) {
      const refused = await api.call("POST", "/v1/organizations", { id, name: "Bad", tags });
      expect(refused).toMatchObject({ status: 422, body: { code: "invalid_tag" } });
    }
    expect((await api.call("GET", `/v1/organizations/${id}`)).status).toBe(404);
    await api.call("POST", "/v1/organizations", { id, name: "Bad" });
    expect((await api.call("PUT", `/v1/organizations/${id}/tags`, { tags: ["ok", "NOT-OK"] })).body.code).toBe("invalid_tag");
    expect((await api.call("PUT", `/v1/organizations/${id}/tags`, { tags: "ok" })).body.code).toBe("invalid_request");
    expect((await api.call("GET", `/v1/organizations/${id}/events`)).body.events).toHaveLength(1);
  });
});
