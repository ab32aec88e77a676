import type { HorizonReading } from "../../db/horizon.ts";
import type { Bus, RouteHint } from "../bus/bus.ts";
import type { Log } from "../http/log.ts";
import type { RouteTable } from "./route-table.ts";

export type DegradedReason = "store_unreachable" | "refresh_overdue" | "horizon_stuck";

export type PropagationStatus = {
  behind: number;
  lastHintAt: string | null;
  /** The last poll that read the store successfully. */
  lastPollAt: string | null;
  bus: Bus["kind"];
  busConnected: boolean;
  /** Routing continues from memory, but the table may be stale: `degradedReasons` says why. */
  degraded: boolean;
  degradedReasons: DegradedReason[];
  /** Seconds since the table was last confirmed current by a successful read of the store. */
  tableAgeSeconds: number;
  /** Seconds the oldest committed write has waited behind the transaction horizon (0: none waits). */
  horizonAgeSeconds: number;
  /** Refreshes (poll or hint) that failed or timed out since start. */
  refreshFailures: number;
};

export type RouteFollower = {
  status(): PropagationStatus;
  /** A poll has been running far longer than any query may: the loop itself is stuck and only a restart helps. */
  wedged(): boolean;
  stop(): Promise<void>;
};

export type FollowOptions = {
  routes: Pick<RouteTable, "position" | "refresh">;
  bus: Bus;
  pollMs: number;
  log: Log;
  /** The longest one read of the store may take (the database client's bound); a refresh later than pollMs + this is overdue. */
  timeoutMs?: number;
  /** Reads the horizon's age after each poll; without it the age stays 0. */
  horizon?: () => Promise<HorizonReading>;
  /** Past this age the horizon counts as stuck and the router as degraded. */
  horizonMaxAgeMs?: number;
  now?: () => number;
};

/**
 * A hint can arrive before the horizon passes its transaction (any other transaction on the
 * server holds it back): retry, quickly at first, then backing off, for one poll interval at
 * most (the poll takes over after that).
 */
const HINT_RETRY_FIRST_MS = 2;
const HINT_RETRY_MAX_MS = 50;

/**
 * Keeps a route table current: a hint newer than the table triggers a read of what changed; a
 * read every `pollMs` catches whatever hints were lost (the staleness bound with the bus down);
 * a bus reconnect triggers a catch-up before hints are trusted again.
 *
 * Every read is bounded by the database client's timeout, so a failed or timed-out refresh is
 * simply tried again on the next tick; ticks never queue behind a poll still running. Whether the
 * router is degraded is worked out from timestamps when asked, so it turns true on time even if
 * the loop itself were stuck.
 */
export function followRoutes(options: FollowOptions): RouteFollower {
  const { routes, bus, log } = options;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 11_000;
  const horizonMaxAgeMs = options.horizonMaxAgeMs ?? 30_000;
  let head = routes.position;
  let lastHintAt: number | null = null;
  let lastPollAt: number | null = null;
  let lastSuccessAt = now();
  let lastFailureAt: number | null = null;
  let failures = 0;
  let horizonAge = 0;
  let horizonStuck = false;
  let pollStartedAt: number | null = null;
  let stopped = false;
  let wanted = 0;
  let chasing = false;
  let giveUpAt = 0;
  let wake: (() => void) | null = null;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => wake?.(), ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });

  const failing = () => lastFailureAt !== null && lastFailureAt >= lastSuccessAt;

  async function refresh(reason: string): Promise<boolean> {
    try {
      await routes.refresh();
      if (failing()) log({ level: "info", msg: "route store reachable again", reason });
      lastSuccessAt = now();
      return true;
    } catch (error) {
      if (!failing()) log({ level: "warn", msg: "route store unreachable; routing from memory", reason, position: routes.position, error: String(error) });
      lastFailureAt = now();
      failures++;
      return false;
    }
  }

  async function onHint(hint: RouteHint): Promise<void> {
    lastHintAt = now();
    head = Math.max(head, hint.position);
    if (hint.position <= routes.position) return; // duplicate or out of date
    wanted = Math.max(wanted, hint.position);
    giveUpAt = performance.now() + options.pollMs;
    // One retry loop chases the newest hint, however many arrive; a new one ends its pause at once.
    if (chasing) return void wake?.();
    chasing = true;
    try {
      for (let delay = 0; !stopped && routes.position < wanted && performance.now() < giveUpAt; delay = Math.min(HINT_RETRY_MAX_MS, Math.max(HINT_RETRY_FIRST_MS, delay * 2))) {
        if (delay > 0) await pause(delay);
        if (!(await refresh("hint"))) return;
      }
    } finally {
      chasing = false;
    }
  }

  async function readHorizon(): Promise<void> {
    if (!options.horizon) return;
    try {
      horizonAge = (await options.horizon()).ageSeconds;
    } catch (error) {
      lastFailureAt = now();
      failures++;
      log({ level: "warn", msg: "transaction horizon not readable", error: String(error) });
      return;
    }
    const stuck = horizonAge * 1000 > horizonMaxAgeMs;
    if (stuck !== horizonStuck) {
      log(
        stuck
          ? { level: "warn", msg: "transaction horizon stuck: a long transaction hides committed route changes", horizonAgeSeconds: horizonAge }
          : { level: "info", msg: "transaction horizon advancing again" },
      );
    }
    horizonStuck = stuck;
  }

  /**
   * Reads whatever changed since the table's horizon: one cheap query when nothing did. Asking
   * every time (not only when the log head moved) also picks up a projection a replay swapped in.
   */
  async function poll(): Promise<void> {
    pollStartedAt = now();
    try {
      if (!(await refresh("poll"))) return;
      lastPollAt = now();
      head = Math.max(head, routes.position);
      await readHorizon();
    } finally {
      pollStartedAt = null;
    }
  }

  const unsubscribe = bus.subscribe((hint) => void onHint(hint));
  const unwatch = bus.onReconnect(() => void refresh("bus reconnected"));
  const timer = setInterval(() => {
    if (!stopped && pollStartedAt === null) void poll();
  }, options.pollMs);

  const reasons = (): DegradedReason[] => {
    const list: DegradedReason[] = [];
    if (failing()) list.push("store_unreachable");
    if (now() - lastSuccessAt > options.pollMs + timeoutMs) list.push("refresh_overdue");
    if (horizonStuck) list.push("horizon_stuck");
    return list;
  };

  return {
    status: () => {
      const degradedReasons = reasons();
      return {
        behind: Math.max(0, head - routes.position),
        lastHintAt: lastHintAt === null ? null : new Date(lastHintAt).toISOString(),
        lastPollAt: lastPollAt === null ? null : new Date(lastPollAt).toISOString(),
        bus: bus.kind,
        busConnected: bus.connected(),
        degraded: degradedReasons.length > 0,
        degradedReasons,
        tableAgeSeconds: Math.max(0, (now() - lastSuccessAt) / 1000),
        horizonAgeSeconds: horizonAge,
        refreshFailures: failures,
      };
    },
    // A poll is a refresh and a horizon read, each bounded by timeoutMs: three times that is a bug, not a slow database.
    wedged: () => pollStartedAt !== null && now() - pollStartedAt > 3 * timeoutMs + options.pollMs,
    async stop() {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      unwatch();
    },
  };
}
