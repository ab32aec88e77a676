import { Hono } from "hono";
import { CodedError } from "../../shared/errors.ts";
import { UNMATCHED_KINDS, type UnmatchedKind } from "../../shared/login-outcomes.ts";
import { requireScope } from "./auth.ts";
import type { CommandsDeps, CommandsEnv } from "./app.ts";
import { positiveInt, queryParams } from "./input.ts";

/**
 * `GET /v1/unmatched`: the identifiers routers saw that named no organization, most frequent
 * first, each with the request kind and the provider it went to. Linking one with
 * `POST /v1/organizations/{id}/identifiers` (the `link` body) clears it.
 */
export function unmatchedRoutes(deps: CommandsDeps) {
  const read = requireScope(deps.verifyToken, "migrations:read");
  const app = new Hono<CommandsEnv>();
  app.get("/", read, async (c) => {
    if (!deps.unmatched) throw new CodedError("not_found", "unmatched traffic is not kept by this command service");
    const query = queryParams(c.req.url, ["kind", "limit"]);
    const kind = query.kind;
    if (kind !== undefined && !(UNMATCHED_KINDS as readonly string[]).includes(kind)) throw new CodedError("invalid_request", `kind must be one of ${UNMATCHED_KINDS.join(", ")}`);
    const limit = positiveInt("limit", query.limit, 100, 1000);
    const rows = await deps.unmatched.list({ limit, ...(kind ? { kind: kind as UnmatchedKind } : {}) });
    return c.json({ unmatched: rows.map((r) => ({ ...r, link: { kind: r.kind, value: r.value } })) });
  });
  return app;
}
