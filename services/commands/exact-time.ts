import { CodedError } from "../../shared/errors.ts";

/** A date, or a date-time with a zone and up to six fractional digits (PostgreSQL's precision). */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/**
 * Reads a time query parameter as an exact instant, kept as text so no microsecond is lost to a
 * JavaScript Date: `2026-01-31` (midnight UTC), `2026-01-31T12:00:00.123456Z`, `...+02:00`.
 * A time without a zone is refused (whose local time would it be?), as is an impossible date.
 * Returns ISO 8601 with six fractional digits, which PostgreSQL reads exactly.
 */
export function exactTimeParam(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const invalid = () => new CodedError("invalid_request", `${name} must be an ISO 8601 date, or a date and time with a zone such as 2026-01-31T12:00:00.123456Z`);
  const match = INSTANT.exec(value);
  if (!match) throw invalid();
  const [, year, month, day, hour = "00", minute = "00", second = "00", fraction = "", zone = "Z"] = match as unknown as string[];
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)));
  const fields = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  if (fields.join() !== [year, month, day, hour, minute, second].map(Number).join()) throw invalid();
  const offset = zone === "Z" ? "Z" : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  if (offset !== "Z" && (Number(offset.slice(1, 3)) > 15 || Number(offset.slice(4)) > 59)) throw invalid();
  return `${year}-${month}-${day}T${hour}:${minute}:${second}.${fraction.padEnd(6, "0")}${offset}`;
}
