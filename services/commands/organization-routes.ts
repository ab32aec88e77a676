import { Hono, type Context } from "hono";
import type { OrganizationCommand } from "../../shared/commands.ts";
import { CodedError } from "../../shared/errors.ts";
import { streamIdOf } from "../../shared/events.ts";
import { fold, validateCommand } from "../../shared/organization.ts";
import { checkTag } from "../../shared/tags.ts";
import type { PointInTime } from "../../db/event-store.ts";
import { requireScope } from "./auth.ts";
import { executeCommand, type CommandOutcome } from "./execute-command.ts";
import {
  expectedVersionFrom, fingerprint, idempotencyKeyFrom, identifierBody, migrateBody, onlyQuery, organizationIdParam, positiveInt,
  queryParams, readJson, registerBody, rollbackBody, tagsBody, toIdentifier,
} from "./input.ts";
import { exactTimeParam } from "./exact-time.ts";
import type { CommandsEnv, CommandsDeps } from "./app.ts";
import { eventJson, organizationJson } from "./views.ts";

export function organizationRoutes(deps: CommandsDeps) {
  const read = requireScope(deps.verifyToken, "migrations:read");
  const write = requireScope(deps.verifyToken, "migrations:write");
  const app = new Hono<CommandsEnv>();

  /** Runs a command for the route's caller and answers what it decided. */
  async function run(c: Context<CommandsEnv>, command: OrganizationCommand, raw: string, reason: string | null, answer: (o: CommandOutcome) => { status: number; body: unknown }) {
    // Field validation before any read: an id or text the store cannot hold never reaches it.
    validateCommand(command);
    const key = idempotencyKeyFrom(c.req.header("idempotency-key"));
    const expectedVersion = versionPrecondition(command, expectedVersionFrom(c.req.header("if-match")));
    const stored = await executeCommand(
      deps,
      command,
      {
        actor: c.get("principal").subject,
        requestId: c.get("requestId"),
        reason,
        ...(expectedVersion !== undefined ? { expectedVersion } : {}),
        ...(key ? { idempotency: { key, fingerprint: await fingerprint(c.req.method, c.req.path, raw) } } : {}),
      },
      answer,
    );
    const body = stored.body as { version?: number };
    const headers: Record<string, string> = body.version !== undefined ? { etag: `"${body.version}"` } : {};
    return c.json(stored.body, stored.status as 200, headers);
  }

  const organizationAnswer = (status: number) => (o: CommandOutcome) => {
    if (o.state.status !== "registered") throw new Error("a command that succeeded left no organization");
    return { status: o.appended === 0 ? 200 : status, body: organizationJson({ ...o.state, version: o.version, position: o.position }) };
  };
  const routeAnswer = (o: CommandOutcome) => {
    if (o.state.status !== "registered") throw new Error("a command that succeeded left no organization");
    return { status: 200, body: { id: o.state.id, provider: o.state.provider, version: o.version, position: o.position } };
  };

  app.post("/", write, async (c) => {
    const { value, raw } = await readJson(c, registerBody);
    const command = {
      type: "RegisterOrganization",
      organizationId: value.id,
      name: value.name,
      identifiers: value.identifiers.map(toIdentifier),
      ...(value.tags ? { tags: value.tags } : {}),
    } as const;
    const response = await run(c, command, raw, null, organizationAnswer(201));
    if (response.status === 201) response.headers.set("location", `/v1/organizations/${value.id}`);
    return response;
  });

  app.get("/", read, async (c) => {
    const query = queryParams(c.req.url, ["provider", "tags", "after", "limit"]);
    // `tags=tier:enterprise,region:eu`: organizations carrying all of them.
    const tags = query.tags !== undefined ? query.tags.split(",").map(checkTag) : undefined;
    const limit = positiveInt("limit", query.limit, 100, 1000);
    const provider = query.provider;
    if (provider !== undefined && !deps.providers.ids.includes(provider)) {
      throw new CodedError("unknown_provider", `no provider ${JSON.stringify(provider.slice(0, 64))} is configured (known: ${deps.providers.ids.join(", ")})`);
    }
    const after = query.after ? afterCursor(query.after) : undefined;
    const page = await deps.store.listOrganizations({ limit: limit + 1, ...(provider ? { provider } : {}), ...(tags ? { tags } : {}), ...(after ? { after } : {}) });
    const organizations = page.slice(0, limit).map(organizationJson);
    return c.json({ organizations, next: page.length > limit ? organizations.at(-1)!.id : null });
  });

  app.get("/:id", read, async (c) => {
    const id = organizationIdParam(c.req.param("id"));
    const query = queryParams(c.req.url, ["at", "asOf"]);
    const pointInTime = pointInTimeFrom(query.at, query.asOf);
    if (!pointInTime) {
      const organization = await deps.store.getOrganization(id);
      if (!organization) throw notFound(id);
      return c.json(organizationJson(organization), 200, { etag: `"${organization.version}"` });
    }
    const history = await deps.store.readStream(streamIdOf(id), pointInTime);
    const state = fold(history);
    if (state.status !== "registered") throw new CodedError("organization_not_found", `organization ${id} did not exist at that point`);
    const last = history.at(-1)!;
    return c.json({ ...organizationJson({ ...state, version: last.streamVersion, position: last.position }), asOf: { position: last.position, recordedAt: last.recordedAt } });
  });

  app.get("/:id/events", read, onlyQuery([]), async (c) => {
    const id = organizationIdParam(c.req.param("id"));
    const history = await deps.store.readStream(streamIdOf(id));
    if (history.length === 0) throw notFound(id);
    return c.json({ organizationId: id, events: history.map(eventJson) });
  });

  app.post("/:id/identifiers", write, async (c) => {
    const { value, raw } = await readJson(c, identifierBody);
    const command = { type: "LinkIdentifier", organizationId: c.req.param("id"), identifier: toIdentifier(value) } as const;
    return run(c, command, raw, null, organizationAnswer(201));
  });

  app.delete("/:id/identifiers/:kind/:value", write, async (c) => {
    const identifier = toIdentifier({ kind: c.req.param("kind"), value: c.req.param("value") });
    return run(c, { type: "UnlinkIdentifier", organizationId: c.req.param("id"), identifier }, "", null, organizationAnswer(200));
  });

  app.put("/:id/tags", write, async (c) => {
    const { value, raw } = await readJson(c, tagsBody);
    return run(c, { type: "SetOrganizationTags", organizationId: c.req.param("id"), tags: value.tags }, raw, null, organizationAnswer(200));
  });

  app.post("/:id/migrate", write, async (c) => {
    const { value, raw } = await readJson(c, migrateBody);
    const requirePreflight = value.requirePreflight ?? deps.preflightPolicy?.required ?? false;
    const maxAgeMs = (deps.preflightPolicy?.maxAgeMinutes ?? 60) * 60_000;
    const command = {
      type: "MigrateOrganization",
      organizationId: c.req.param("id"),
      reason: value.reason,
      ...(value.to ? { to: value.to } : {}),
      ...(value.guard === false ? { guard: false } : {}),
      ...(requirePreflight ? { requirePreflight: { since: new Date((deps.now ?? Date.now)() - maxAgeMs).toISOString() } } : {}),
    } as const;
    return run(c, command, raw, value.reason, routeAnswer);
  });

  app.post("/:id/rollback", write, async (c) => {
    const { value, raw } = await readJson(c, rollbackBody);
    return run(c, { type: "RollBackOrganization", organizationId: c.req.param("id"), reason: value.reason }, raw, value.reason, routeAnswer);
  });

  return app;
}

/** If-Match as the command needs it: `*` asks only that the organization exist (RFC 9110 §13.1.1). */
function versionPrecondition(command: OrganizationCommand, given: number | "any" | undefined): number | undefined {
  if (given !== "any") return given;
  if (command.type === "RegisterOrganization") {
    throw new CodedError("version_conflict", "If-Match: * requires the organization to exist, and a registration creates it: send no If-Match");
  }
  return undefined; // the decider refuses a command on an organization that does not exist
}

/** The list's cursor is the last id of the previous page. */
function afterCursor(value: string): string {
  try {
    return organizationIdParam(value);
  } catch {
    throw new CodedError("invalid_cursor", "after must be the `next` value of a previous page (an organization id)");
  }
}

const notFound = (id: string) => new CodedError("organization_not_found", `organization ${id} does not exist`);

function pointInTimeFrom(at: string | undefined, asOf: string | undefined): PointInTime | undefined {
  if (at !== undefined && asOf !== undefined) throw new CodedError("invalid_request", "give at or asOf, not both");
  if (at !== undefined) return { position: positiveInt("at", at, 0, Number.MAX_SAFE_INTEGER) };
  const time = exactTimeParam("asOf", asOf);
  return time ? { time } : undefined;
}
