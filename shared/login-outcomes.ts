import { z } from "zod";

/**
 * Login outcomes as routers report them to the command service (issue 12): counts per
 * (organization, provider, minute, outcome, error code), with a duration histogram for ends.
 * An operational read model, not events: lossy at worst, never part of the log.
 */
export const OUTCOMES = ["started", "succeeded", "failed", "silent_declined", "token_ok", "token_invalid_grant", "token_other"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Upper bounds (ms) of the flow-duration histogram; the last bucket is everything above. Mergeable across routers. */
export const DURATION_BOUNDS_MS = [250, 500, 1000, 2000, 4000, 8000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000] as const;
export const DURATION_BUCKETS = DURATION_BOUNDS_MS.length + 1;

export function durationBucket(ms: number): number {
  for (let i = 0; i < DURATION_BOUNDS_MS.length; i++) if (ms <= DURATION_BOUNDS_MS[i]!) return i;
  return DURATION_BOUNDS_MS.length;
}

/**
 * The bucket bound at or below which a fraction `q` of the durations lie (an upper estimate,
 * as precise as the buckets); null without any. The last bucket reports its lower bound.
 */
export function quantileMs(histogram: readonly number[], q: number): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return DURATION_BOUNDS_MS[Math.min(i, DURATION_BOUNDS_MS.length - 1)]!;
  }
  return DURATION_BOUNDS_MS.at(-1)!;
}

/** Unmatched traffic kinds: the identifier kinds a request carried that named no organization. */
export const UNMATCHED_KINDS = ["saml_issuer", "domain", "connection", "client_id", "oidc_issuer"] as const;
export type UnmatchedKind = (typeof UNMATCHED_KINDS)[number];

const MINUTE = z.number().int().nonnegative();
const text = (max: number) => z.string().min(1).max(max);

export const outcomeRowSchema = z.object({
  organizationId: z.string().max(63).nullable(),
  provider: text(32),
  /** Minutes since the epoch: the minute the flow started. */
  minute: MINUTE,
  outcome: z.enum(OUTCOMES),
  /** The OAuth `error` code (or `http_<status>`) of a failure; "" otherwise. */
  code: z.string().max(64),
  count: z.number().int().positive(),
  durations: z.array(z.number().int().nonnegative()).length(DURATION_BUCKETS).nullable(),
});
export type OutcomeRow = z.infer<typeof outcomeRowSchema>;

export const unmatchedRowSchema = z.object({
  kind: z.enum(UNMATCHED_KINDS),
  value: text(1024),
  requestKind: text(32),
  provider: text(32),
  count: z.number().int().positive(),
  firstSeen: z.number().int().nonnegative(),
  lastSeen: z.number().int().nonnegative(),
});
export type UnmatchedRow = z.infer<typeof unmatchedRowSchema>;

/** One router's counts since its previous flush. */
export const outcomeBatchSchema = z.object({
  router: text(64),
  rows: z.array(outcomeRowSchema).max(100_000),
  unmatched: z.array(unmatchedRowSchema).max(10_000).default([]),
});
export type OutcomeBatch = z.infer<typeof outcomeBatchSchema>;

/** Parses a batch from the wire; anything malformed is dropped (counts are operational data, never commands). */
export function parseOutcomeBatch(text: string): OutcomeBatch | null {
  try {
    const parsed = outcomeBatchSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export const minuteOf = (ms: number) => Math.floor(ms / 60_000);
