import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { findTargetHandler } from "hono/utils/handler";
import type { z } from "zod";
import type { Database } from "../../db/sql.ts";
import { REFERENCE_CSP } from "../../services/commands/reference-page.ts";
import {
  eventPageSchema, organizationHistorySchema, organizationPageSchema, organizationSchema, routeChangeSchema, waveListSchema, waveProgressSchema,
} from "../../services/commands/schemas.ts";
import { pgliteApi, type commandsApi } from "../support/api.ts";
import { unique } from "../support/unique.ts";

let db: Database;
let api: Awaited<ReturnType<typeof commandsApi>>;
let document: { openapi: string; paths: Record<string, Record<string, unknown>> };

beforeAll(async () => {
  ({ db, api } = await pgliteApi());
  const response = await api.app.request("/openapi.json");
  expect(response.status).toBe(200);
  document = await response.json();
});
afterAll(async () => {
  await db.close();
});

/** `/v1/organizations/:id` → `/v1/organizations/{id}`, as OpenAPI spells a path. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
const documented = () => Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));

describe("the OpenAPI document", () => {
  test("is served without a token and is a valid OpenAPI 3.1 document", async () => {
    const response = await api.app.request("/openapi.json");
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(document.openapi).toBe("3.1.0");
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test("describes every route the app serves, and nothing else", () => {
    // app.routes lists the handlers themselves and each route's description (a middleware named describeRoute), and
    // method ALL for middleware such as the body limit: only real handlers of real methods are routes.
    const served = new Set(
      api.app.routes.filter((r) => r.method !== "ALL" && findTargetHandler(r.handler).name !== "describeRoute").map((r) => `${r.method} ${openApiPath(r.path)}`),
    );
    expect(served.size).toBeGreaterThan(25);
    expect([...served].filter((route) => !documented().includes(route))).toEqual([]);
    expect(documented().filter((route) => !served.has(route))).toEqual([]);
  });

  test("every documented path and method answers something other than the router's 404", async () => {
    const id = unique("doc");
    expect((await api.call("POST", "/v1/organizations", { id, name: "Doc", identifiers: [{ kind: "domain", value: `${id}.com` }] })).status).toBe(201);
    const values: Record<string, string> = { id, kind: "domain", value: `${id}.com`, asset: "swagger-ui.css" };
    for (const route of documented()) {
      const [method, path] = route.split(" ") as [string, string];
      const concrete = path.replace(/\{([^}]+)\}/g, (_, name: string) => values[name]!);
      // DELETE last would unlink the identifier; the answer only has to come from a route.
      const answer = await api.call(method, concrete, method === "GET" || method === "DELETE" ? undefined : {});
      const fromRouter = answer.status === 404 && typeof answer.body === "object" && answer.body.code === "not_found" && String(answer.body.detail).startsWith("no route for");
      expect({ route, fromRouter }).toEqual({ route, fromRouter: false });
    }
  });

  test("every operation names its scope and lists problem+json answers whose code is an enum", () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item) as [string, { security?: unknown[]; responses: Record<string, { content?: Record<string, { schema: any }> }> }][]) {
        const needsToken = path.startsWith("/v1/");
        expect({ route: `${method} ${path}`, secured: (op.security?.length ?? 0) > 0 }).toEqual({ route: `${method} ${path}`, secured: needsToken });
        for (const [status, response] of Object.entries(op.responses)) {
          const problem = response.content?.["application/problem+json"];
          if (Number(status) >= 400 && response.content?.["application/json"] === undefined) expect(problem?.schema.properties.code.enum.length).toBeGreaterThan(0);
        }
      }
    }
  });
});

describe("responses match the documented schemas exactly (no field missing, none undocumented)", () => {
  const exactly = async (schema: z.ZodType, response: Promise<{ status: number; body: unknown }>, status = 200) => {
    const r = await response;
    expect(r.status).toBe(status);
    expect(schema.parse(r.body)).toEqual(r.body as never);
  };

  test("organizations, events, migrations and waves", async () => {
    const id = unique("shape");
    await exactly(organizationSchema, api.call("POST", "/v1/organizations", { id, name: "Shape", identifiers: [{ kind: "domain", value: `${id}.com` }], tags: ["tier:gold"] }), 201);
    await exactly(organizationSchema, api.call("GET", `/v1/organizations/${id}`));
    await exactly(organizationPageSchema, api.call("GET", "/v1/organizations?limit=2"));
    await exactly(routeChangeSchema, api.call("POST", `/v1/organizations/${id}/migrate`, { reason: "shape" }));
    await exactly(organizationHistorySchema, api.call("GET", `/v1/organizations/${id}/events`));
    await exactly(eventPageSchema, api.call("GET", `/v1/events?org=${id}`));
    const other = unique("shape");
    await api.call("POST", "/v1/organizations", { id: other, name: "Other" });
    await exactly(waveProgressSchema, api.call("POST", "/v1/waves", { name: "shape", organizations: [other], batchSize: 1, soakMinutes: 0 }), 201);
    await exactly(waveListSchema, api.call("GET", "/v1/waves"));
  });
});

describe("the reference page", () => {
  test("is served by the API, under a policy that allows this origin only, and names no other host", async () => {
    const page = await api.app.request("/reference");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toBe(REFERENCE_CSP);
    expect(REFERENCE_CSP).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.sort()).toEqual(["reference/favicon-32x32.png", "reference/start.js", "reference/swagger-ui-bundle.js", "reference/swagger-ui.css"]);
    const types: Record<string, string> = { js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8", png: "image/png" };
    for (const asset of assets) {
      const response = await api.app.request(`/${asset}`);
      expect({ asset, status: response.status, type: response.headers.get("content-type") }).toEqual({ asset, status: 200, type: types[asset.split(".").pop()!]! });
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    const start = await (await api.app.request("/reference/start.js")).text();
    expect(start).toContain('url: "openapi.json"');
    expect(start).toContain("validatorUrl: null");
  });

  test("serves only its own files: anything else is 404 not_found", async () => {
    for (const name of ["package.json", "..%2Fpackage.json", "index.html", "swagger-ui-bundle.js.map"]) {
      const response = await api.app.request(`/reference/${name}`);
      expect({ name, status: response.status }).toEqual({ name, status: 404 });
      expect((await response.json()).code).toBe("not_found");
    }
  });
});
