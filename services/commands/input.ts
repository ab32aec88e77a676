import type { Context } from "hono";
import { z } from "zod";
import { CodedError } from "../../shared/errors.ts";
import { EVENT_TYPES, type EventType } from "../../shared/events.ts";
import { normalizeIdentifier, type Identifier } from "../../shared/identifiers.ts";
import type { LogCursor } from "../../db/event-store.ts";

const identifierInput = z.object({ kind: z.string(), value: z.string() }).strict();
const reason = z.string().max(1000);

export const registerBody = z
  .object({ id: z.string().max(63), name: z.string().max(200), identifiers: z.array(identifierInput).max(100).default([]) })
  .strict();
export const identifierBody = identifierInput;
export const migrateBody = z.object({ to: z.string().max(32).optional(), reason, guard: z.boolean().optional(), requirePreflight: z.boolean().optional() }).strict();
export const rollbackBody = z.object({ reason }).strict();

/** Reads a JSON body: 415 unless JSON, 400 when malformed or when it has unknown or mistyped fields. */
export async function readJson<T extends z.ZodType>(c: Context, schema: T): Promise<{ value: z.infer<T>; raw: string }> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.*\+)?json\b/i.test(type)) throw new CodedError("unsupported_media_type", "send the body as application/json");
  const raw = await c.req.text();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new CodedError("malformed_json", "the body is not valid JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "(body)";
    const message = issue.code === "unrecognized_keys" ? `unknown field ${issue.keys.join(", ")}` : issue.message;
    throw new CodedError("invalid_request", `${field}: ${message}`, { field });
  }
  return { value: parsed.data, raw };
}

export const toIdentifier = (input: { kind: string; value: string }): Identifier => normalizeIdentifier(input.kind, input.value);

/** `If-Match: "3"` → 3. */
export function expectedVersionFrom(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*"(\d{1,9})"\s*$/.exec(header);
  if (!match) throw new CodedError("invalid_if_match", 'If-Match must be a version ETag such as "3"');
  return Number(match[1]);
}

export function idempotencyKeyFrom(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(header)) throw new CodedError("invalid_idempotency_key", "Idempotency-Key must be 1-255 printable ASCII characters");
  return header;
}

export const encodeCursor = (cursor: LogCursor): string => `${cursor.transactionId}-${cursor.position}`;

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

export function timeParam(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) throw new CodedError("invalid_request", `${name} must be an ISO 8601 time`);
  return date;
}

export function eventTypesParam(value: string | undefined): EventType[] | undefined {
  if (value === undefined) return undefined;
  const types = value.split(",");
  const unknown = types.find((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (unknown !== undefined) throw new CodedError("invalid_request", `type ${unknown} is not one of ${EVENT_TYPES.join(", ")}`);
  return types as EventType[];
}

/** SHA-256 of what makes two requests "the same" for an Idempotency-Key. */
export async function fingerprint(method: string, path: string, body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${method} ${path}\n${body}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
