import { describe, expect, test } from "bun:test";
import { CodedError } from "../../shared/errors.ts";
import { exactTimeParam } from "../../services/commands/exact-time.ts";

describe("exact time parameters (asOf, since, until)", () => {
  test("keeps every microsecond and normalizes to six fractional digits", () => {
    expect(exactTimeParam("asOf", "2026-01-31T12:00:00.123456Z")).toBe("2026-01-31T12:00:00.123456Z");
    expect(exactTimeParam("asOf", "2026-01-31T12:00:00.1Z")).toBe("2026-01-31T12:00:00.100000Z");
    expect(exactTimeParam("asOf", "2026-01-31T12:00+0530")).toBe("2026-01-31T12:00:00.000000+05:30");
    expect(exactTimeParam("asOf", "2026-01-31")).toBe("2026-01-31T00:00:00.000000Z");
    expect(exactTimeParam("asOf", undefined)).toBeUndefined();
  });

  test.each(["yesterday", "2026-01-31T12:00:00", "2026-02-30T00:00:00Z", "2026-01-31T24:00:00Z", "2026-01-31T12:00:00.1234567Z", "2026-01-31T12:00:00Z junk", "2026-01-31T12:00:00+16:00"])(
    "refuses %p with invalid_request",
    (value) => {
      let error: unknown;
      try {
        exactTimeParam("asOf", value);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CodedError);
      expect((error as CodedError).code).toBe("invalid_request");
      expect((error as CodedError).message).toContain("asOf");
    },
  );
});
