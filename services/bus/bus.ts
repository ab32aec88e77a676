import { CodedError } from "../../shared/errors.ts";
import type { OutcomeBatch } from "../../shared/login-outcomes.ts";

/** "Routes changed at this position": a hint to read the projection, never the change itself. */
export type RouteHint = { orgId: string; position: number };

export type Bus = {
  readonly kind: "nats" | "in-process";
  /** Sends a hint; rejects with `bus_unavailable` when it cannot (routers then catch up by polling). */
  publish(hint: RouteHint): Promise<void>;
  /** Receives hints until the returned function is called. */
  subscribe(handler: (hint: RouteHint) => void): () => void;
  /** Called after the bus (re)connects: hints may have been missed while it was away. */
  onReconnect(handler: () => void): () => void;
  connected(): boolean;
  /**
   * Routers' login outcome counts to the command service (issue 12), at most once like hints;
   * rejects with `bus_unavailable` when it cannot (the router keeps the counts for its next flush).
   */
  publishOutcomes(batch: OutcomeBatch): Promise<void>;
  /** Receives outcome batches; with several command services, each batch reaches one of them. */
  subscribeOutcomes(handler: (batch: OutcomeBatch) => void): () => void;
  /** Flushes and stops; no hint is delivered afterwards. */
  close(): Promise<void>;
};

export class BusUnavailable extends CodedError {
  constructor(detail: string) {
    super("bus_unavailable", detail);
  }
}

/** Parses a hint from the wire; anything malformed is dropped (a hint is only ever a nudge). */
export function parseHint(text: string): RouteHint | null {
  try {
    const value = JSON.parse(text) as Partial<RouteHint>;
    return typeof value.orgId === "string" && Number.isSafeInteger(value.position) ? { orgId: value.orgId, position: value.position! } : null;
  } catch {
    return null;
  }
}
