/**
 * The guard's judgement (issue 12 §4), pure so that anything watching a migration (the guard
 * after each `migrate`, a wave runner after each batch) decides the same way: given an
 * organization's logins on its new provider since the move and on its old provider before it,
 * roll back or not, and the numbers that say why.
 */
export type GuardPolicy = {
  /** How long after a migration the guard watches it. */
  windowMinutes: number;
  /** Fewer failures than this never trigger a rollback, whatever the rate. */
  minFailures: number;
  /** The failure rate on the new provider must exceed this (0..1)... */
  failureRate: number;
  /** ...and the old provider's rate by at least this much (0..1). */
  worseBy: number;
};

export const DEFAULT_GUARD_POLICY: GuardPolicy = { windowMinutes: 30, minFailures: 5, failureRate: 0.5, worseBy: 0.2 };

/** Finished logins: failures are failed flows (an error redirect or status); abandoned ones are not known within the window. */
export type LoginTally = { succeeded: number; failed: number };

export type GuardVerdict = { rollBack: true; reason: string } | { rollBack: false; why: string };

export function judgeMigration(policy: GuardPolicy, input: { from: string; to: string; before: LoginTally; after: LoginTally; minutesSince: number }): GuardVerdict {
  const { before, after } = input;
  const finished = after.succeeded + after.failed;
  if (after.failed < policy.minFailures) return { rollBack: false, why: `${after.failed} failures on ${input.to}, fewer than ${policy.minFailures}` };
  const rate = after.failed / finished;
  if (rate <= policy.failureRate) return { rollBack: false, why: `failure rate ${percent(rate)} on ${input.to} is within ${percent(policy.failureRate)}` };
  const baselineFinished = before.succeeded + before.failed;
  const baseline = baselineFinished === 0 ? 0 : before.failed / baselineFinished;
  if (rate < baseline + policy.worseBy) return { rollBack: false, why: `failure rate ${percent(rate)} on ${input.to} is no worse than ${percent(baseline)} on ${input.from}` };
  return {
    rollBack: true,
    reason: `guard: ${after.failed} of ${finished} logins failed on ${input.to} in ${Math.max(1, Math.round(input.minutesSince))} min; ${before.failed} of ${baselineFinished} before on ${input.from}`,
  };
}

const percent = (x: number) => `${Math.round(x * 100)}%`;
