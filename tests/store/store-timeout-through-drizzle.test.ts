import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { eq } from "drizzle-orm";
import { ormOf } from "../../db/orm.ts";
import { organizations } from "../../db/schema.ts";
import { isConnectionError, StoreTimeout, type Sql } from "../../db/sql.ts";
import { errorHandler } from "../../services/http/problem.ts";

/**
 * The client-side timeout (db/postgres.ts) under a typed drizzle read: drizzle wraps whatever the
 * driver adapter throws in a DrizzleQueryError, and the API must still answer 503
 * store_unavailable, not 500. A stand-in adapter throws the timeout here (the real blackholed
 * server is tests/propagation/faults.test.ts).
 */
describe("a store timeout under a drizzle query", () => {
  const timedOut: Sql = {
    query: () => Promise.reject(new StoreTimeout("the database did not answer a query within 11000 ms")),
    values: () => Promise.reject(new StoreTimeout("the database did not answer a query within 11000 ms")),
    transaction: (fn) => fn(timedOut),
  };
  const read = () => ormOf(timedOut).select({ id: organizations.id }).from(organizations).where(eq(organizations.id, "acme"));

  test("is still a connection error once drizzle wrapped it", async () => {
    const error = await read().then(() => null, (e: unknown) => e);
    expect(error).not.toBeInstanceOf(StoreTimeout);
    expect(isConnectionError(error)).toBe(true);
  });

  test("is answered 503 store_unavailable with the timeout's own message", async () => {
    const app = new Hono();
    app.onError(errorHandler(() => {}));
    app.get("/", async (c) => c.json(await read()));
    const response = await app.request("/");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: "store_unavailable", detail: expect.stringContaining("did not answer a query within 11000 ms") });
  });
});
