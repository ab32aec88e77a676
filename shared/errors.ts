/**
 * Every error the project raises on purpose carries a stable string `code`.
 * The HTTP edges map codes to statuses once (see services/http/problem.ts);
 * nothing else decides what a code means on the wire.
 */
/** The closed list of stable error codes. Adding one without a status does not compile. */
export const ERROR_CODES = [
  "malformed_json",
  "invalid_request",
  "invalid_if_match",
  "invalid_idempotency_key",
  "invalid_cursor",
  "invalid_saml_message",
  "invalid_request_target",
  "missing_token",
  "invalid_token",
  "insufficient_scope",
  "invalid_route_token",
  "not_found",
  "organization_not_found",
  "identifier_not_linked",
  "method_not_allowed",
  "organization_exists",
  "identifier_taken",
  "already_on_provider",
  "nothing_to_roll_back",
  "version_conflict",
  "body_too_large",
  "unsupported_media_type",
  "invalid_identifier",
  "invalid_organization_id",
  "invalid_name",
  "invalid_tag",
  "invalid_wave",
  "wave_not_found",
  "wave_exists",
  "wave_finished",
  "wave_paused",
  "wave_not_paused",
  "wave_selects_nothing",
  "batch_not_ready",
  "organization_in_wave",
  "duplicate_identifier",
  "reason_required",
  "invalid_reason",
  "unknown_provider",
  "idempotency_key_reused",
  "internal_error",
  "upstream_unreachable",
  "provider_not_configured",
  "store_unavailable",
  "upstream_timeout",
  "invalid_config",
  // Raised and handled inside the services; listed so a leak still maps to a deliberate status.
  "bus_unavailable",
  "request_timeout",
  // The client went away before the answer: nobody reads it; the access log says 499.
  "client_closed",
  // Issue 12 (preflight): appended here, statuses in services/http/problem.ts.
  "preflight_required",
  "preflight_not_configured",
] as const;

/** Every stable code the project can raise or answer; services/http/problem.ts gives each its status. */
export type ErrorCode = (typeof ERROR_CODES)[number];

export class CodedError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** A business rule said no: raised by `decide` only. */
export class DomainError extends CodedError {}

/** Input that is malformed or breaks a documented limit. */
export class ValidationError extends CodedError {}

/** A SAML message the router refuses to read (bad encoding, not well formed, hostile). */
export class InvalidSamlMessage extends CodedError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("invalid_saml_message", message, details);
  }
}

/** Optimistic concurrency: the stream moved on since the caller read it. */
export class VersionConflict extends CodedError {
  constructor(streamId: string, expected: number, actual: number | null) {
    super("version_conflict", `stream ${streamId} is at version ${actual ?? "none"}, expected ${expected}`, {
      expected,
      actual,
    });
  }
}

/** Configuration is wrong; raised at start-up, naming the setting. */
export class ConfigError extends CodedError {
  constructor(setting: string, message: string) {
    super("invalid_config", `${setting}: ${message}`, { setting });
  }
}
