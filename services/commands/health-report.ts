import { DURATION_BUCKETS, quantileMs } from "../../shared/login-outcomes.ts";
import type { StoredOutcome } from "../../db/outcome-store.ts";

/** One provider's login figures over a span of minutes. */
export type ProviderHealth = {
  provider: string;
  started: number;
  succeeded: number;
  failed: number;
  failedByCode: Record<string, number>;
  /** Silent requests (prompt=none) answered login_required and the like: ended, neither success nor failure. */
  silentDeclined: number;
  /** Started at least a pin lifetime ago and never ended. */
  abandoned: number;
  /** Started less than a pin lifetime ago and not ended yet. */
  inFlight: number;
  /** succeeded / (succeeded + failed + abandoned); null when no flow has finished. */
  successRate: number | null;
  durationMs: { median: number | null; p95: number | null };
  tokens: { ok: number; invalidGrant: number; other: number };
};

/**
 * Folds outcome rows into per-provider figures. Ends are counted against the minute their flow
 * started, so a minute's abandoned flows are its starts minus its ends, once the pin that
 * carried them has expired (`flowTtlMs`).
 */
export function providerHealth(rows: readonly StoredOutcome[], nowMs: number, flowTtlMs: number): ProviderHealth[] {
  const byProvider = new Map<string, { health: ProviderHealth; histogram: number[]; minutes: Map<number, { started: number; ended: number }> }>();
  for (const row of rows) {
    let entry = byProvider.get(row.provider);
    if (!entry) {
      entry = { health: emptyHealth(row.provider), histogram: new Array<number>(DURATION_BUCKETS).fill(0), minutes: new Map() };
      byProvider.set(row.provider, entry);
    }
    const { health } = entry;
    const minute = entry.minutes.get(row.minute) ?? { started: 0, ended: 0 };
    entry.minutes.set(row.minute, minute);
    switch (row.outcome) {
      case "started":
        health.started += row.count;
        minute.started += row.count;
        break;
      case "succeeded":
      case "failed":
        if (row.outcome === "succeeded") health.succeeded += row.count;
        else {
          health.failed += row.count;
          health.failedByCode[row.code] = (health.failedByCode[row.code] ?? 0) + row.count;
        }
        minute.ended += row.count;
        row.durations?.forEach((n, i) => (entry.histogram[i]! += n));
        break;
      case "silent_declined":
        health.silentDeclined += row.count;
        minute.ended += row.count;
        break;
      case "token_ok":
        health.tokens.ok += row.count;
        break;
      case "token_invalid_grant":
        health.tokens.invalidGrant += row.count;
        break;
      case "token_other":
        health.tokens.other += row.count;
        break;
    }
  }
  return [...byProvider.values()].map(({ health, histogram, minutes }) => {
    for (const [minute, { started, ended }] of minutes) {
      const open = Math.max(0, started - ended);
      if ((minute + 1) * 60_000 + flowTtlMs <= nowMs) health.abandoned += open;
      else health.inFlight += open;
    }
    const finished = health.succeeded + health.failed + health.abandoned;
    health.successRate = finished === 0 ? null : +(health.succeeded / finished).toFixed(4);
    health.durationMs = { median: quantileMs(histogram, 0.5), p95: quantileMs(histogram, 0.95) };
    return health;
  });
}

export function emptyHealth(provider: string): ProviderHealth {
  return { provider, started: 0, succeeded: 0, failed: 0, failedByCode: {}, silentDeclined: 0, abandoned: 0, inFlight: 0, successRate: null, durationMs: { median: null, p95: null }, tokens: { ok: 0, invalidGrant: 0, other: 0 } };
}

/** The latest minutes with failures, newest first (minute resolution: that is what is stored). */
export function lastFailures(rows: readonly StoredOutcome[], limit = 10) {
  return rows
    .filter((r) => r.outcome === "failed")
    .sort((a, b) => b.minute - a.minute)
    .slice(0, limit)
    .map((r) => ({ at: new Date(r.minute * 60_000).toISOString(), code: r.code, provider: r.provider, count: r.count }));
}
