import { describe, expect, test } from "bun:test";
import { DEFAULT_GUARD_POLICY, judgeMigration } from "../../shared/guard-policy.ts";

const judge = (after: [number, number], before: [number, number], policy = DEFAULT_GUARD_POLICY) =>
  judgeMigration(policy, { from: "legacy", to: "target", after: { succeeded: after[0], failed: after[1] }, before: { succeeded: before[0], failed: before[1] }, minutesSince: 6 });

describe("the guard's judgement", () => {
  test("rolls back when failures reach the minimum, the rate exceeds the threshold and is worse than before, with the numbers as reason", () => {
    expect(judge([2, 8], [40, 0])).toEqual({ rollBack: true, reason: "guard: 8 of 10 logins failed on target in 6 min; 0 of 40 before on legacy" });
  });

  test("does nothing below the minimum count of failures, even at 100%", () => {
    expect(judge([0, 4], [40, 0]).rollBack).toBe(false);
  });

  test("does nothing when the rate is within the threshold", () => {
    expect(judge([10, 5], [40, 0]).rollBack).toBe(false);
  });

  test("does nothing when the organization failed as often on its old provider", () => {
    expect(judge([2, 8], [5, 20]).rollBack).toBe(false);
  });

  test("with no history on the old provider, the baseline is zero failures", () => {
    expect(judge([0, 6], [0, 0]).rollBack).toBe(true);
  });
});
