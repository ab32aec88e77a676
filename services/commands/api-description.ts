import type { Hono } from "hono";
import { describeRoute, generateSpecs, resolver, type DescribeRouteOptions } from "hono-openapi";
import type { z } from "zod";
import type { ErrorCode } from "../../shared/errors.ts";
import { IDENTIFIER_KINDS } from "../../shared/identifiers.ts";
import { statusOf } from "../http/problem.ts";
import type { Scope } from "./auth.ts";
import { identifierBody, migrateBody, registerBody, rollbackBody, tagsBody } from "./input.ts";
import { guardBody, preflightBody } from "./preflight-routes.ts";
import { abortBody, planBody, reasonBody } from "./wave-routes.ts";
import {
  eventPageSchema, fleetHealthSchema, guardStateSchema, liveSchema, notReadySchema, organizationAsOfSchema, organizationHealthSchema,
  organizationHistorySchema, organizationPageSchema, organizationSchema, preflightResultSchema, problemSchema, readySchema,
  replayReportSchema, routeChangeSchema, unmatchedListSchema, waveHistorySchema, waveListSchema, waveProgressSchema,
} from "./schemas.ts";

/**
 * What each route of the command API takes and answers, for the OpenAPI document: registered on
 * the app as `describeRoute` middleware (which only calls `next`), so hono-openapi finds each
 * description on the route it describes. Request bodies are input.ts's schemas, the ones the
 * handlers validate with; responses are schemas.ts's, the ones the views are typed by. The codes
 * listed are those each route can answer; tests/commands/openapi-errors.test.ts provokes every one.
 */

type Method = "GET" | "POST" | "PUT" | "DELETE";

/** Refusals any bearer-protected route can answer. */
const AUTH: ErrorCode[] = ["missing_token", "invalid_token", "insufficient_scope"];
/** A JSON body read by `readJson`; 400 invalid_request covers unknown and mistyped fields (and query parameters on a command). */
const JSON_BODY: ErrorCode[] = ["unsupported_media_type", "malformed_json", "invalid_request", "body_too_large"];
/** If-Match and Idempotency-Key on organization commands. */
const PRECONDITIONS: ErrorCode[] = ["invalid_if_match", "version_conflict", "invalid_idempotency_key", "idempotency_key_reused"];
const STORE: ErrorCode[] = ["store_unavailable"];

type Route = {
  method: Method;
  /** Hono's path, as app.routes lists it. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  scope?: Scope;
  query?: Record<string, string>;
  headers?: "command";
  body?: { schema: z.ZodType; required?: boolean };
  ok: Record<number, { description: string; schema?: z.ZodType; media?: Record<string, z.ZodType | { type: "string" | "object" }>; headers?: Record<string, string> }>;
  codes?: ErrorCode[];
};

const ORGANIZATION_COMMAND = { headers: "command" as const };

const ROUTES: Route[] = [
  { method: "GET", path: "/healthz", tag: "probes", summary: "Liveness", ok: { 200: { description: "The process answers", schema: liveSchema } } },
  {
    method: "GET", path: "/readyz", tag: "probes", summary: "Readiness: the event store answers",
    description: "A stuck transaction horizon or a bus that is down does not make the API unready (commands still commit), but the body says so.",
    ok: { 200: { description: "Ready", schema: readySchema }, 503: { description: "The event store does not answer", schema: notReadySchema } },
  },
  {
    method: "GET", path: "/metrics", tag: "probes", summary: "Prometheus metrics",
    ok: { 200: { description: "Prometheus text exposition format 0.0.4", media: { "text/plain": { type: "string" } } } },
  },
  {
    method: "GET", path: "/openapi.json", tag: "reference", summary: "This document",
    ok: { 200: { description: "OpenAPI 3.1", media: { "application/json": { type: "object" } } } },
  },
  {
    method: "GET", path: "/reference", tag: "reference", summary: "The API reference page",
    description: "Swagger UI over this document, served from the API's own files (no outside host).",
    ok: { 200: { description: "HTML page", media: { "text/html": { type: "string" } } } },
  },
  {
    method: "GET", path: "/reference/:asset", tag: "reference", summary: "A file of the reference page (script, style sheet, icon)",
    ok: { 200: { description: "The file, with its content type", media: { "application/octet-stream": { type: "string" } } } },
    codes: ["not_found"],
  },

  // Organizations
  {
    method: "POST", path: "/v1/organizations", tag: "organizations", summary: "Register an organization", scope: "migrations:write", ...ORGANIZATION_COMMAND,
    description: "Starts on the default provider. Answered 200 (nothing appended) when an Idempotency-Key replays a previous registration.",
    body: { schema: registerBody },
    ok: { 201: { description: "Registered", schema: organizationSchema, headers: { location: "/v1/organizations/{id}", etag: "The version, quoted" } } },
    codes: [...JSON_BODY, "invalid_organization_id", "invalid_name", "invalid_identifier", "duplicate_identifier", "invalid_tag", "organization_exists", "identifier_taken", ...PRECONDITIONS, ...STORE],
  },
  {
    method: "GET", path: "/v1/organizations", tag: "organizations", summary: "List organizations, by id", scope: "migrations:read",
    query: {
      provider: "Only those whose logins go to this provider",
      tags: "Comma-separated tags: only organizations carrying all of them",
      after: "The `next` value of the previous page",
      limit: "Page size, 1-1000 (default 100)",
    },
    ok: { 200: { description: "One page", schema: organizationPageSchema } },
    codes: ["invalid_request", "invalid_tag", "unknown_provider", "invalid_cursor", ...STORE],
  },
  {
    method: "GET", path: "/v1/organizations/:id", tag: "organizations", summary: "One organization, now or as it was", scope: "migrations:read",
    query: { at: "A log position: the organization right after it", asOf: "An instant (ISO 8601 date, or date-time with a zone): the organization as it was then" },
    ok: { 200: { description: "The organization (with `asOf` when `at` or `asOf` was given)", schema: organizationSchema.or(organizationAsOfSchema), headers: { etag: "The version, quoted (current state only)" } } },
    codes: ["invalid_organization_id", "invalid_request", "organization_not_found", ...STORE],
  },
  {
    method: "GET", path: "/v1/organizations/:id/events", tag: "organizations", summary: "The organization's history", scope: "migrations:read",
    ok: { 200: { description: "Every event of the organization, oldest first", schema: organizationHistorySchema } },
    codes: ["invalid_organization_id", "invalid_request", "organization_not_found", ...STORE],
  },
  {
    method: "POST", path: "/v1/organizations/:id/identifiers", tag: "organizations", summary: "Link an identifier", scope: "migrations:write", ...ORGANIZATION_COMMAND,
    description: "Answered 200 when the identifier was already linked (nothing appended).",
    body: { schema: identifierBody },
    ok: { 201: { description: "Linked", schema: organizationSchema } },
    codes: [...JSON_BODY, "invalid_identifier", "invalid_organization_id", "organization_not_found", "identifier_taken", ...PRECONDITIONS, ...STORE],
  },
  {
    method: "DELETE", path: "/v1/organizations/:id/identifiers/:kind/:value", tag: "organizations", summary: "Unlink an identifier", scope: "migrations:write", ...ORGANIZATION_COMMAND,
    ok: { 200: { description: "Unlinked", schema: organizationSchema } },
    codes: ["invalid_request", "invalid_identifier", "invalid_organization_id", "organization_not_found", "identifier_not_linked", ...PRECONDITIONS, ...STORE],
  },
  {
    method: "PUT", path: "/v1/organizations/:id/tags", tag: "organizations", summary: "Replace the organization's tags", scope: "migrations:write", ...ORGANIZATION_COMMAND,
    body: { schema: tagsBody },
    ok: { 200: { description: "The organization with its new tags", schema: organizationSchema } },
    codes: [...JSON_BODY, "invalid_tag", "invalid_organization_id", "organization_not_found", ...PRECONDITIONS, ...STORE],
  },
  {
    method: "POST", path: "/v1/organizations/:id/migrate", tag: "migrations", summary: "Send the organization's logins to another provider", scope: "migrations:write", ...ORGANIZATION_COMMAND,
    description: "`to` defaults to the target provider. With `requirePreflight` (or when the service requires it), a passing preflight of that provider must be recent enough.",
    body: { schema: migrateBody },
    ok: { 200: { description: "Where its logins go now", schema: routeChangeSchema } },
    codes: [...JSON_BODY, "invalid_organization_id", "reason_required", "invalid_reason", "organization_not_found", "unknown_provider", "already_on_provider", "preflight_required", ...PRECONDITIONS, ...STORE],
  },
  {
    method: "POST", path: "/v1/organizations/:id/rollback", tag: "migrations", summary: "Send the organization's logins back where they were", scope: "migrations:write", ...ORGANIZATION_COMMAND,
    body: { schema: rollbackBody },
    ok: { 200: { description: "Where its logins go now", schema: routeChangeSchema } },
    codes: [...JSON_BODY, "invalid_organization_id", "reason_required", "invalid_reason", "organization_not_found", "nothing_to_roll_back", ...PRECONDITIONS, ...STORE],
  },
  {
    method: "POST", path: "/v1/organizations/:id/preflight", tag: "migrations", summary: "Probe a provider for the organization and record the result", scope: "migrations:write",
    description: "A failing preflight is recorded too, and answered 200 with `passed: false`. The body is optional (`to` defaults to the target provider; a `reason` goes into the event's metadata). With an `Idempotency-Key`, a retry gets the first answer without probing or recording again.",
    body: { schema: preflightBody, required: false },
    ok: { 200: { description: "What was checked", schema: preflightResultSchema } },
    codes: ["preflight_not_configured", ...JSON_BODY, "organization_not_found", "unknown_provider", "invalid_reason", "invalid_idempotency_key", "idempotency_key_reused", ...STORE],
  },
  {
    method: "PUT", path: "/v1/organizations/:id/guard", tag: "migrations", summary: "Switch the migration guard on or off for the organization", scope: "migrations:write",
    body: { schema: guardBody },
    ok: { 200: { description: "The guard's switch", schema: guardStateSchema } },
    codes: [...JSON_BODY, "invalid_organization_id", "organization_not_found", ...STORE],
  },

  // Health and traffic
  {
    method: "GET", path: "/v1/organizations/:id/health", tag: "health", summary: "The organization's login health, before and after its last migration", scope: "migrations:read",
    query: { since: "ISO 8601 date, or date-time with a zone (default: a day ago)" },
    ok: { 200: { description: "Login outcomes per provider", schema: organizationHealthSchema } },
    codes: ["invalid_organization_id", "invalid_request", "organization_not_found", "not_found", ...STORE],
  },
  {
    method: "GET", path: "/v1/health", tag: "health", summary: "Fleet login health, worst organizations first", scope: "migrations:read",
    query: { since: "ISO 8601 date, or date-time with a zone (default: a day ago)", limit: "Organizations listed, 1-1000 (default 20)" },
    ok: { 200: { description: "Per provider and per organization", schema: fleetHealthSchema } },
    codes: ["invalid_request", "not_found", ...STORE],
  },
  {
    method: "GET", path: "/v1/unmatched", tag: "health", summary: "Identifiers routers saw that name no organization, most frequent first", scope: "migrations:read",
    query: { kind: "Only this identifier kind", limit: "1-1000 (default 100)" },
    ok: { 200: { description: "Each with the body that links it", schema: unmatchedListSchema } },
    codes: ["invalid_request", "not_found", ...STORE],
  },

  // Audit log
  {
    method: "GET", path: "/v1/events", tag: "audit", summary: "The audit log: every event, in commit order", scope: "migrations:read",
    description: "JSON pages by cursor; with `Accept: application/x-ndjson`, the whole selection as one event per line (an export).",
    query: {
      after: "The `next` cursor of the previous page",
      limit: "Page size, 1-1000 (default 100)",
      org: "Only this organization's events",
      type: "Comma-separated event types",
      since: "ISO 8601 date, or date-time with a zone",
      until: "ISO 8601 date, or date-time with a zone",
    },
    ok: { 200: { description: "One page, or NDJSON", schema: eventPageSchema, media: { "application/x-ndjson": { type: "string" } } } },
    codes: ["invalid_request", "invalid_organization_id", "invalid_cursor", ...STORE],
  },

  // Waves
  {
    method: "POST", path: "/v1/waves", tag: "waves", summary: "Plan a wave: organizations migrated in batches, each soaking under the guard", scope: "migrations:write",
    description: "Give `organizations` (ids) or a `selector` (current provider and tags), not both.",
    body: { schema: planBody },
    ok: { 201: { description: "Planned", schema: waveProgressSchema, headers: { location: "/v1/waves/{id}" } } },
    codes: [...JSON_BODY, "unknown_provider", "invalid_organization_id", "organization_not_found", "invalid_tag", "wave_selects_nothing", "invalid_wave", "wave_exists", "organization_in_wave", ...STORE],
  },
  {
    method: "GET", path: "/v1/waves", tag: "waves", summary: "List waves", scope: "migrations:read",
    ok: { 200: { description: "Every wave", schema: waveListSchema } },
    codes: ["invalid_request", ...STORE],
  },
  {
    method: "GET", path: "/v1/waves/:id", tag: "waves", summary: "A wave's progress", scope: "migrations:read",
    ok: { 200: { description: "Progress", schema: waveProgressSchema, headers: { etag: "The version, quoted" } } },
    codes: ["invalid_request", "wave_not_found", ...STORE],
  },
  {
    method: "GET", path: "/v1/waves/:id/events", tag: "waves", summary: "A wave's history", scope: "migrations:read",
    ok: { 200: { description: "Every event of the wave, oldest first", schema: waveHistorySchema } },
    codes: ["invalid_request", "wave_not_found", ...STORE],
  },
  {
    method: "POST", path: "/v1/waves/:id/pause", tag: "waves", summary: "Pause a wave (no new batch starts)", scope: "migrations:write",
    body: { schema: reasonBody },
    ok: { 200: { description: "Progress", schema: waveProgressSchema } },
    codes: [...JSON_BODY, "wave_not_found", "wave_finished", "reason_required", "invalid_reason", ...STORE],
  },
  {
    method: "POST", path: "/v1/waves/:id/resume", tag: "waves", summary: "Resume a paused wave", scope: "migrations:write",
    body: { schema: reasonBody },
    ok: { 200: { description: "Progress", schema: waveProgressSchema } },
    codes: [...JSON_BODY, "wave_not_found", "wave_finished", "wave_not_paused", "reason_required", "invalid_reason", ...STORE],
  },
  {
    method: "POST", path: "/v1/waves/:id/abort", tag: "waves", summary: "Abort a wave, optionally rolling back its organizations", scope: "migrations:write",
    body: { schema: abortBody },
    ok: { 200: { description: "Progress", schema: waveProgressSchema } },
    codes: [...JSON_BODY, "wave_not_found", "wave_finished", "reason_required", "invalid_reason", ...STORE],
  },

  // Projections
  {
    method: "POST", path: "/v1/replay", tag: "admin", summary: "Rebuild every projection from the whole log and swap it in", scope: "admin",
    description: "Takes no body (or `{}`).",
    ok: { 200: { description: "What the replay found", schema: replayReportSchema } },
    codes: ["invalid_request", "body_too_large", ...STORE],
  },
  {
    method: "GET", path: "/v1/replay/verify", tag: "admin", summary: "Rebuild every projection from the log and compare, without swapping", scope: "admin",
    ok: { 200: { description: "What the replay found", schema: replayReportSchema } },
    codes: ["invalid_request", ...STORE],
  },
];

/** Each route's success answers: status → the zod schema of its JSON body (for tests that hold the API to its document). */
export const SUCCESS_SCHEMAS: ReadonlyMap<string, Readonly<Record<number, z.ZodType | undefined>>> = new Map(
  ROUTES.map((r) => [`${r.method} ${r.path}`, Object.fromEntries(Object.entries(r.ok).map(([status, answer]) => [status, answer.schema]))]),
);

/** Response schemas are described as the API writes them; request schemas (the default) as it reads them. */
const output = (schema: z.ZodType) => resolver(schema, { options: { io: "output" } });

const COMMAND_HEADERS = [
  { name: "If-Match", in: "header", required: false, description: 'Act only if the organization is at this version: its ETag, such as "3", or * (it must exist)', schema: { type: "string" } },
  { name: "Idempotency-Key", in: "header", required: false, description: "1-255 printable ASCII characters: a retry with the same key and request answers what the first did, without appending again", schema: { type: "string" } },
];

/** Path parameters by name (a wave's id under /v1/waves, an organization's elsewhere). */
function pathParameter(name: string, path: string) {
  const described: Record<string, { description: string; schema: Record<string, unknown> }> = {
    id: path.startsWith("/v1/waves")
      ? { description: "The wave's id", schema: { type: "string" } }
      : { description: "The organization's id: 1-63 lower-case letters, digits, - or _, starting with a letter or digit", schema: { type: "string" } },
    kind: { description: "The identifier's kind", schema: { type: "string", enum: [...IDENTIFIER_KINDS] } },
    value: { description: "The identifier's value, URL-encoded (as it was linked, or any spelling that normalizes to it)", schema: { type: "string" } },
    asset: { description: "A file name the page refers to", schema: { type: "string" } },
  };
  return { name, in: "path", required: true, ...described[name]! };
}

function problems(codes: readonly ErrorCode[]): NonNullable<DescribeRouteOptions["responses"]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      { description: list.map((c) => `\`${c}\``).join(", "), content: { "application/problem+json": { schema: output(problemSchema(list)) } } },
    ]),
  );
}

function operation(route: Route): DescribeRouteOptions {
  const codes = [...(route.scope ? AUTH : []), ...(route.codes ?? [])];
  const success = Object.fromEntries(
    Object.entries(route.ok).map(([status, answer]) => [
      status,
      {
        description: answer.description,
        ...(answer.headers ? { headers: Object.fromEntries(Object.entries(answer.headers).map(([name, description]) => [name, { description, schema: { type: "string" as const } }])) } : {}),
        content: {
          ...(answer.schema ? { "application/json": { schema: output(answer.schema) } } : {}),
          ...Object.fromEntries(Object.entries(answer.media ?? {}).map(([media, schema]) => [media, { schema: "_zod" in schema ? output(schema) : schema }])),
        },
      },
    ]),
  );
  return {
    tags: [route.tag],
    summary: route.summary,
    ...(route.description || route.scope ? { description: [route.description, route.scope ? `Scope: \`${route.scope}\`.` : undefined].filter(Boolean).join("\n\n") } : {}),
    ...(route.scope ? { security: [{ bearer: [route.scope] }] } : { security: [] }),
    parameters: [
      ...[...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => pathParameter(m[1]!, route.path)),
      ...Object.entries(route.query ?? {}).map(([name, description]) => ({ name, in: "query", required: false, description, schema: { type: "string" } })),
      ...(route.headers === "command" ? COMMAND_HEADERS : []),
    ] as never,
    ...(route.body ? { requestBody: { required: route.body.required ?? true, content: { "application/json": { schema: resolver(route.body.schema) } } } } : {}),
    responses: { ...success, ...problems(codes) },
  };
}

/** Registers each route's description on `app` (call before the routes, so it runs first and only passes on). */
export function describeApi(app: Hono<any>): void {
  for (const route of ROUTES) app.on(route.method, route.path, describeRoute(operation(route)));
}

export const DOCUMENT_INFO = {
  info: {
    title: "ssomigrate command API",
    version: "1",
    description: [
      "Register organizations, migrate them between SSO providers, roll back, and read the audit log.",
      "Every refusal is `application/problem+json` with a stable `code`; each operation lists the codes it can answer.",
      "A path no route serves answers 404 `not_found`, and a path served with another method answers 405 `method_not_allowed` with an `Allow` header (both the app's own answers, not listed per operation).",
    ].join("\n\n"),
  },
  components: {
    securitySchemes: {
      bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A JWT whose `scope` (or `scp`) holds migrations:read, migrations:write or admin; write includes read, admin includes both." },
    },
  },
  tags: [
    { name: "organizations", description: "Organizations and their identifiers" },
    { name: "migrations", description: "Moving an organization's logins between providers" },
    { name: "health", description: "Login outcomes and unmatched traffic, as routers report them" },
    { name: "audit", description: "The event log" },
    { name: "waves", description: "Batches of migrations under the guard" },
    { name: "admin", description: "Projections" },
    { name: "probes", description: "Liveness, readiness, metrics" },
    { name: "reference", description: "This document and its page" },
  ],
};

/** The OpenAPI 3.1 document of `app`, from the descriptions its routes carry. */
export function openApiDocument(app: Hono<any>) {
  return generateSpecs(app, { documentation: DOCUMENT_INFO as never, excludeStaticFile: false, defaultValidationErrorResponse: false });
}
