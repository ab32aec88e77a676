import type { Context } from "hono";
import { z } from "zod";
import { CodedError } from "../../shared/errors.ts";
import { LOG_EVENT_TYPES, type LogEventType } from "../../shared/log-events.ts";
import { normalizeIdentifier, type Identifier } from "../../shared/identifiers.ts";
import { checkOrganizationId } from "../../shared/organization.ts";
import type { LogCursor } from "../../db/event-store.ts";

const identifierInput = z.object({ kind: z.string(), value: z.string() }).strict();
// Lengths, emptiness and characters are checked by the decider's validation (422 with the
// field's own code); here only shape: a missing id, name or reason is the same mistake as an
// empty one, so they may be absent (null too) and the validation names them.
const reason = z.string().nullish().transform((r) => r ?? "");
const MAX_IDENTIFIERS = 100;

export const registerBody = z
  .object({
    id: z.string().nullish().transform((v) => v ?? ""),
    name: z.string().nullish().transform((v) => v ?? ""),
    identifiers: z.array(identifierInput).max(MAX_IDENTIFIERS).default([]),
    // Each tag's form and their number are the decider's (422 invalid_tag); here only the shape.
    tags: z.array(z.string()).optional(),
  })
  .strict();
export const tagsBody = z.object({ tags: z.array(z.string()) }).strict();
export const identifierBody = identifierInput;
export const migrateBody = z.object({ to: z.string().optional(), reason, guard: z.boolean().optional(), requirePreflight: z.boolean().optional() }).strict();
export const rollbackBody = z.object({ reason }).strict();

/** Reads a JSON body: 415 unless JSON, 400 when malformed or when it has unknown or mistyped fields. */
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

export async function readJson<T extends z.ZodType>(c: Context, schema: T): Promise<{ value: z.infer<T>; raw: string }> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.*\+)?json\b/i.test(type)) throw new CodedError("unsupported_media_type", "send the body as application/json");
  let raw: string;
  try {
    // Fatal: a byte that is not UTF-8 is refused, never stored as U+FFFD in an append-only log.
    raw = STRICT_UTF8.decode(await c.req.arrayBuffer());
  } catch {
    throw new CodedError("malformed_json", "the body is not valid UTF-8");
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new CodedError("malformed_json", "the body is not valid JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = fieldName(issue.path);
    throw new CodedError("invalid_request", plainWords(issue, field, valueAt(json, issue.path)), { field: field || null });
  }
  return { value: parsed.data, raw };
}

/** `identifiers.0.kind` → `identifiers[0].kind`. */
const fieldName = (path: readonly PropertyKey[]): string =>
  path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");

/** Says what is wrong with a field in our words; the validator's own messages never reach users. */
function plainWords(issue: z.core.$ZodIssue, field: string, given: unknown): string {
  const subject = field || "the body";
  switch (issue.code) {
    case "unrecognized_keys":
      return `${field ? `${field} has an ` : ""}unknown field ${issue.keys.map((k) => JSON.stringify(k.slice(0, 64))).join(", ")}`;
    case "invalid_type":
      if (field === "") return "the body must be a JSON object";
      return given === undefined ? `${field} is required` : `${field} must be ${article(issue.expected)}`;
    case "too_big":
      return `${subject} has at most ${issue.maximum} ${issue.origin === "array" ? "entries" : "characters"}`;
    default:
      return `${subject} is not valid`;
  }
}

function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let value = json;
  for (const key of path) value = value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

const article = (expected: string): string => (expected === "array" || expected === "object" ? `an ${expected}` : `a ${expected}`);

export const toIdentifier = (input: { kind: string; value: string }): Identifier => normalizeIdentifier(input.kind, input.value);

/**
 * `If-Match: "3"` → version 3; `If-Match: *` → "any current version", i.e. the organization
 * must exist (RFC 9110 §13.1.1). If-Match compares strongly, so a weak validator (`W/"3"`) can
 * never match: it is refused with that rule rather than failing every time.
 */
export function expectedVersionFrom(header: string | undefined): number | "any" | undefined {
  if (header === undefined) return undefined;
  if (/^\s*\*\s*$/.test(header)) return "any";
  if (/^\s*W\//.test(header)) {
    throw new CodedError("invalid_if_match", 'If-Match uses the strong comparison (RFC 9110 §13.1.1), so a weak validator W/"..." never matches: send the ETag as given, such as "3"');
  }
  const match = /^\s*"(\d{1,9})"\s*$/.exec(header);
  if (!match) throw new CodedError("invalid_if_match", 'If-Match must be one version ETag such as "3", or *');
  return Number(match[1]);
}

/** Query parameters of a GET: each at most once, and only those the endpoint takes (400 otherwise). */
export function queryParams<const N extends string>(url: string, allowed: readonly N[]): Partial<Record<N, string>> {
  const params: Partial<Record<N, string>> = {};
  for (const [name, value] of new URL(url).searchParams) {
    if (!(allowed as readonly string[]).includes(name)) {
      const takes = allowed.length > 0 ? `it takes ${allowed.join(", ")}` : "it takes none";
      throw new CodedError("invalid_request", `unknown query parameter ${JSON.stringify(name.slice(0, 64))} (${takes})`, { parameter: name.slice(0, 64) });
    }
    if (params[name as N] !== undefined) throw new CodedError("invalid_request", `query parameter ${name} is given more than once`, { parameter: name });
    params[name as N] = value;
  }
  return params;
}

/** Middleware form of `queryParams` for endpoints that read their parameters elsewhere. */
export const onlyQuery = (allowed: readonly string[]) =>
  async function checkQuery(c: Context, next: () => Promise<void>) {
    queryParams(c.req.url, allowed);
    await next();
  };

export function idempotencyKeyFrom(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(header)) throw new CodedError("invalid_idempotency_key", "Idempotency-Key must be 1-255 printable ASCII characters");
  return header;
}

export const encodeCursor = (cursor: LogCursor): string => `${cursor.transactionId}-${cursor.position}`;

/** A path or query value that names an organization: 422 `invalid_organization_id` unless it could. */
export const organizationIdParam = (value: string | undefined): string => checkOrganizationId(value);

export function decodeCursor(value: string | undefined): LogCursor | undefined {
  if (value === undefined || value === "") return undefined;
  const match = /^(\d{1,20})-(\d{1,16})$/.exec(value);
  if (!match) throw new CodedError("invalid_cursor", "after must be a cursor returned as `next` by a previous page");
  return { transactionId: match[1]!, position: Number(match[2]) };
}

export function positiveInt(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new CodedError("invalid_request", `${name} must be a positive integer`);
  return Math.min(Number(value), max);
}

export function eventTypesParam(value: string | undefined): LogEventType[] | undefined {
  if (value === undefined) return undefined;
  const types = value.split(",");
  const unknown = types.find((t) => !(LOG_EVENT_TYPES as readonly string[]).includes(t));
  if (unknown !== undefined) throw new CodedError("invalid_request", `type ${JSON.stringify(unknown.slice(0, 64))} is not one of ${LOG_EVENT_TYPES.join(", ")}`);
  return types as LogEventType[];
}

/** SHA-256 of what makes two requests "the same" for an Idempotency-Key. */
export async function fingerprint(method: string, path: string, body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${method} ${path}\n${body}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
