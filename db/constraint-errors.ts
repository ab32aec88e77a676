import { CodedError, DomainError, VersionConflict } from "../shared/errors.ts";
import { sqlState } from "./sql.ts";

/**
 * The constraint a driver error names: postgres.js calls it `constraint_name`, PGlite
 * `constraint`; drizzle wraps the driver's error as its `cause`.
 */
function constraintOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  if (!("code" in error) && "cause" in error && error.cause !== error) return constraintOf(error.cause);
  const named = (error as { constraint_name?: unknown; constraint?: unknown }).constraint_name ?? (error as { constraint?: unknown }).constraint;
  return typeof named === "string" ? named : undefined;
}

/**
 * The edge of `db/`: an append's unique violation becomes the domain's code, so nothing above
 * the store reads SQLSTATEs. The append statement avoids most of them (the stream row is advanced
 * from the expected version, identifiers go in with ON CONFLICT DO NOTHING); these are the races
 * that can still reach a constraint, e.g. two first appends to one stream committing together.
 */
export function translateAppendError(error: unknown, streamId: string, expectedVersion: number): unknown {
  if (error instanceof CodedError) return error;
  if (sqlState(error) !== "23505") return driverError(error);
  const constraint = constraintOf(error);
  if (constraint === "streams_pkey" || constraint === "events_stream_version") return new VersionConflict(streamId, expectedVersion, null);
  if (constraint === "identifiers_kind_value_pk") return new DomainError("identifier_taken", "an identifier of this command already belongs to another organization");
  return driverError(error);
}

/** The driver's own error under drizzle's wrapper (whose message repeats the statement and its parameters). */
function driverError(error: unknown): unknown {
  const cause = typeof error === "object" && error !== null && !("code" in error) && "cause" in error ? error.cause : undefined;
  return cause !== undefined && cause !== error ? driverError(cause) : error;
}
