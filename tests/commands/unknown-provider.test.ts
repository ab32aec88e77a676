import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pgliteApi } from "../support/api.ts";

/** The API's providers are its configuration's (here legacy, target, other): nothing else is a destination. */
let setup: Awaited<ReturnType<typeof pgliteApi>>;
beforeAll(async () => {
  setup = await pgliteApi();
});
afterAll(() => setup.db.close());

describe("migrate to a provider the configuration does not have", () => {
  test("is 422 unknown_provider naming the known ones, and appends nothing", async () => {
    const { call } = setup.api;
    expect((await call("POST", "/v1/organizations", { id: "acme", name: "Acme" })).status).toBe(201);
    for (const to of ["nope", "LEGACY", "target "]) {
      const answer = await call("POST", "/v1/organizations/acme/migrate", { to, reason: "wave 1" });
      expect({ to, status: answer.status, code: answer.body.code }).toEqual({ to, status: 422, code: "unknown_provider" });
    }
    const refused = await call("POST", "/v1/organizations/acme/migrate", { to: "nope", reason: "wave 1" });
    expect(refused.body.detail).toContain("legacy, target, other");
    expect((await call("GET", "/v1/organizations/acme/events")).body.events).toHaveLength(1);
    expect((await call("POST", "/v1/organizations/acme/migrate", { to: "other", reason: "wave 1" })).body).toMatchObject({ provider: "other", version: 2 });
  });
});
