import { Hono } from "hono";
import { LOG_START, type LogQuery } from "../../db/event-store.ts";
import { streamIdOf } from "../../shared/events.ts";
import { requireScope } from "./auth.ts";
import type { CommandsDeps, CommandsEnv } from "./app.ts";
import { exactTimeParam } from "./exact-time.ts";
import { decodeCursor, encodeCursor, eventTypesParam, organizationIdParam, positiveInt, queryParams } from "./input.ts";
import { eventJson } from "./views.ts";

const EXPORT_PAGE = 1000;

/** The global audit log: cursor pages as JSON, or the whole log as NDJSON for export. */
export function logRoutes(deps: CommandsDeps) {
  const app = new Hono<CommandsEnv>();
  app.get("/", requireScope(deps.verifyToken, "migrations:read"), async (c) => {
    const params = queryParams(c.req.url, ["after", "limit", "org", "type", "since", "until"]);
    const org = params.org ? organizationIdParam(params.org) : undefined;
    const types = eventTypesParam(params.type);
    const since = exactTimeParam("since", params.since);
    const until = exactTimeParam("until", params.until);
    const query: LogQuery = {
      after: decodeCursor(params.after) ?? LOG_START,
      limit: positiveInt("limit", params.limit, 100, 1000),
      ...(org ? { streamId: streamIdOf(org) } : {}),
      ...(types ? { types } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
    };
    if ((c.req.header("accept") ?? "").includes("application/x-ndjson")) {
      return new Response(exportStream(deps, query), { headers: { "content-type": "application/x-ndjson" } });
    }
    const page = await deps.store.readLog(query);
    return c.json({ events: page.events.map(eventJson), next: encodeCursor(page.next), hasMore: page.hasMore });
  });
  return app;
}

function exportStream(deps: CommandsDeps, query: LogQuery): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after = query.after;
  return new ReadableStream({
    async pull(controller) {
      const page = await deps.store.readLog({ ...query, after, limit: EXPORT_PAGE });
      if (page.events.length > 0) {
        controller.enqueue(encoder.encode(page.events.map((e) => JSON.stringify(eventJson(e))).join("\n") + "\n"));
      }
      after = page.next;
      if (!page.hasMore) controller.close();
    },
  });
}
