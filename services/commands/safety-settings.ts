import { ConfigError } from "../../shared/errors.ts";
import type { GuardPolicy } from "../../shared/guard-policy.ts";
import { env, positiveIntFrom } from "../settings.ts";

export type GuardSettings = { policy: GuardPolicy; intervalMs: number } | null;

/** The safety loop's settings (issue 12). The guard's, read with the rest at start-up; `GUARD=off` turns it off. */
export function guardFrom(): GuardSettings {
  const enabled = env("GUARD") ?? "on";
  if (enabled !== "on" && enabled !== "off") throw new ConfigError("GUARD", `must be on or off, got ${enabled}`);
  if (enabled === "off") return null;
  const percent = (name: string, fallback: number) => {
    const value = positiveIntFrom(name, fallback);
    if (value > 100) throw new ConfigError(name, `must be a percentage (1-100), got ${value}`);
    return value / 100;
  };
  return {
    policy: {
      windowMinutes: positiveIntFrom("GUARD_WINDOW_MINUTES", 30),
      minFailures: positiveIntFrom("GUARD_MIN_FAILURES", 5),
      failureRate: percent("GUARD_FAILURE_PERCENT", 50),
      worseBy: percent("GUARD_WORSE_BY_PERCENT", 20),
    },
    intervalMs: positiveIntFrom("GUARD_INTERVAL_MS", 15_000),
  };
}

export type PreflightPolicy = { required: boolean; maxAgeMinutes: number };

/** `PREFLIGHT_REQUIRED=on`: every `migrate` needs a passing preflight newer than `PREFLIGHT_MAX_AGE_MINUTES`. */
export function preflightPolicyFrom(): PreflightPolicy {
  const required = env("PREFLIGHT_REQUIRED") ?? "off";
  if (required !== "on" && required !== "off") throw new ConfigError("PREFLIGHT_REQUIRED", `must be on or off, got ${required}`);
  return { required: required === "on", maxAgeMinutes: positiveIntFrom("PREFLIGHT_MAX_AGE_MINUTES", 60) };
}
