import { DURATION_BUCKETS, durationBucket, minuteOf, type Outcome, type OutcomeRow } from "../../shared/login-outcomes.ts";
import type { FlowEnd, TokenOutcome } from "../../shared/routing/flow-outcome.ts";
import type { FlowClaims } from "../../shared/routing/resolve-organization.ts";

/**
 * One router's login outcome counts since its last flush, per (organization, provider, minute,
 * outcome, code). Bounded: past `maxKeys` distinct rows, new rows are dropped and counted, so a
 * flood cannot grow it (organizations and providers are bounded by the route table; codes by
 * `errorCode`'s pattern and length).
 */
export type OutcomeRecorder = {
  flowStarted(organizationId: string | null, provider: string, flow: FlowClaims): void;
  /** `flow`: the pin's flow when it was issued by this provider; null for a one-request flow (IdP-initiated, no pin). */
  flowEnded(organizationId: string | null, provider: string, flow: FlowClaims | null, end: FlowEnd, nowMs: number): void;
  token(organizationId: string | null, provider: string, outcome: TokenOutcome, nowMs: number): void;
  /** The counts so far; the recorder starts again from zero. */
  drain(): OutcomeRow[];
  /** Puts back counts a flush could not deliver (they merge with what came since). */
  restore(rows: readonly OutcomeRow[]): void;
  stats(): { rows: number; dropped: number };
};

const MAX_KEYS = 20_000;
/** Flow ids that already ended on this router: a reloaded callback page is not a second outcome. */
const MAX_ENDED = 10_000;

export function outcomeRecorder(options: { maxKeys?: number } = {}): OutcomeRecorder {
  const maxKeys = options.maxKeys ?? MAX_KEYS;
  let rows = new Map<string, OutcomeRow>();
  const ended = new Set<string>();
  let dropped = 0;

  function add(row: Omit<OutcomeRow, "durations">, durationMs: number | null) {
    const key = `${row.organizationId ?? ""}\u0000${row.provider}\u0000${row.minute}\u0000${row.outcome}\u0000${row.code}`;
    let existing = rows.get(key);
    if (!existing) {
      if (rows.size >= maxKeys) return void dropped++;
      existing = { ...row, count: 0, durations: null };
      rows.set(key, existing);
    }
    existing.count += row.count;
    if (durationMs !== null) {
      existing.durations ??= new Array<number>(DURATION_BUCKETS).fill(0);
      existing.durations[durationBucket(durationMs)]!++;
    }
  }
  const count = (organizationId: string | null, provider: string, minute: number, outcome: Outcome, code = "") => ({ organizationId, provider, minute, outcome, code, count: 1 });

  return {
    flowStarted(organizationId, provider, flow) {
      add(count(organizationId, provider, minuteOf(flow.startedMs), "started"), null);
    },
    flowEnded(organizationId, provider, flow, end, nowMs) {
      if (flow) {
        if (ended.has(flow.id)) return;
        if (ended.size >= MAX_ENDED) ended.delete(ended.values().next().value!);
        ended.add(flow.id);
      } else {
        // A flow that starts and ends in one request (IdP-initiated SAML, a pin the browser dropped).
        add(count(organizationId, provider, minuteOf(nowMs), "started"), null);
      }
      const startedMs = flow?.startedMs ?? nowMs;
      add(count(organizationId, provider, minuteOf(startedMs), end.outcome, end.outcome === "succeeded" ? "" : end.code), Math.max(0, nowMs - startedMs));
    },
    token(organizationId, provider, outcome, nowMs) {
      add(count(organizationId, provider, minuteOf(nowMs), outcome), null);
    },
    drain() {
      const out = [...rows.values()];
      rows = new Map();
      return out;
    },
    restore(previous) {
      for (const row of previous) {
        const key = `${row.organizationId ?? ""}\u0000${row.provider}\u0000${row.minute}\u0000${row.outcome}\u0000${row.code}`;
        const existing = rows.get(key);
        if (!existing) {
          if (rows.size >= maxKeys) {
            dropped++;
            continue;
          }
          rows.set(key, { ...row, durations: row.durations ? [...row.durations] : null });
          continue;
        }
        existing.count += row.count;
        if (row.durations) {
          existing.durations ??= new Array<number>(DURATION_BUCKETS).fill(0);
          row.durations.forEach((n, i) => (existing.durations![i]! += n));
        }
      }
    },
    stats: () => ({ rows: rows.size, dropped }),
  };
}
