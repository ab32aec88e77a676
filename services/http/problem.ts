import type { Context } from "hono";
import { CodedError, type ErrorCode } from "../../shared/errors.ts";
import { isConnectionError, storeTimeoutIn } from "../../db/sql.ts";

/** The one place a stable error code becomes an HTTP status: every code has one, or this does not compile. */
const STATUS = {
  malformed_json: 400,
  invalid_request: 400,
  invalid_if_match: 400,
  invalid_idempotency_key: 400,
  invalid_cursor: 400,
  invalid_saml_message: 400,
  invalid_request_target: 400,
  missing_token: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  invalid_route_token: 403,
  not_found: 404,
  organization_not_found: 404,
  identifier_not_linked: 404,
  method_not_allowed: 405,
  organization_exists: 409,
  identifier_taken: 409,
  already_on_provider: 409,
  nothing_to_roll_back: 409,
  preflight_required: 409,
  preflight_not_configured: 422,
  version_conflict: 409,
  body_too_large: 413,
  unsupported_media_type: 415,
  invalid_identifier: 422,
  invalid_organization_id: 422,
  invalid_name: 422,
  invalid_tag: 422,
  invalid_wave: 422,
  wave_not_found: 404,
  wave_exists: 409,
  wave_finished: 409,
  wave_paused: 409,
  wave_not_paused: 409,
  wave_selects_nothing: 422,
  batch_not_ready: 409,
  organization_in_wave: 409,
  duplicate_identifier: 422,
  reason_required: 422,
  invalid_reason: 422,
  unknown_provider: 422,
  idempotency_key_reused: 422,
  internal_error: 500,
  upstream_unreachable: 502,
  provider_not_configured: 502,
  store_unavailable: 503,
  upstream_timeout: 504,
  invalid_config: 500,
  bus_unavailable: 503,
  request_timeout: 408,
  // nginx's "client closed request": never sent to anyone, only logged and counted.
  client_closed: 499,
} as const satisfies Record<ErrorCode, number>;

export const statusOf = (code: ErrorCode): number => STATUS[code];

export type ProblemBody = {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  requestId?: string;
  [extension: string]: unknown;
};

export function problem(code: ErrorCode, detail: string, extensions: Record<string, unknown> = {}): Response {
  const status = statusOf(code);
  const body: ProblemBody = { type: `urn:ssomigrate:problem:${code}`, title: code.replaceAll("_", " "), status, code, detail, ...extensions };
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/problem+json" } });
}

/**
 * Hono's onError: coded errors keep their code and message; a lost database is 503; anything
 * else is a 500 whose body says nothing about internals (the log has the stack).
 */
export function errorHandler(log: (entry: Record<string, unknown>) => void) {
  return function handleError(thrown: Error, c: Context): Response {
    const requestId = c.get("requestId" as never) as string | undefined;
    // A timeout under a drizzle query arrives wrapped; it keeps its own code and message.
    const error = storeTimeoutIn(thrown) ?? thrown;
    if (error instanceof CodedError) {
      const response = problem(error.code, error.message, { ...error.details, requestId });
      if (error.code === "missing_token" || error.code === "invalid_token") {
        response.headers.set("www-authenticate", `Bearer error="invalid_token"`);
      } else if (error.code === "insufficient_scope") {
        response.headers.set("www-authenticate", `Bearer error="insufficient_scope"`);
      }
      return response;
    }
    if (isConnectionError(error)) {
      log({ level: "error", msg: "store unavailable", requestId, error: String(error) });
      return problem("store_unavailable", "the event store is unreachable; retry shortly (with the same Idempotency-Key: a command cut off mid-commit may have been recorded)", { requestId });
    }
    log({ level: "error", msg: "unhandled error", requestId, error: String(error), stack: error.stack });
    return problem("internal_error", "internal error; the request id identifies it in the logs", { requestId });
  };
}
