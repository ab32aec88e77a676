/**
 * Every error the project raises on purpose carries a stable string `code`.
 * The HTTP edges map codes to statuses once (see services/http/problem.ts);
 * nothing else decides what a code means on the wire.
 */
export class CodedError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
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
