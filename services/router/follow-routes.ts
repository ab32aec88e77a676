import type { Bus, RouteHint } from "../bus/bus.ts";
import type { Log } from "../http/log.ts";
import type { RouteTable } from "./route-table.ts";

export type PropagationStatus = {
  behind: number;
  lastHintAt: string | null;
  lastPollAt: string | null;
  bus: Bus["kind"];
  busConnected: boolean;
  /** The store could not be read at the last attempt: routing continues from memory as of `position`. */
  degraded: boolean;
};

export type RouteFollower = { status(): PropagationStatus; stop(): Promise<void> };

/** A hint can arrive a moment before the horizon passes its transaction; retry briefly before leaving it to the poll. */
const HINT_RETRIES = 25;
const HINT_RETRY_MS = 2;

/**
 * Keeps a route table current: a hint newer than the table triggers a read of what changed; a
 * read every `pollMs` catches whatever hints were lost (the staleness bound with the bus down);
 * a bus reconnect triggers a catch-up before hints are trusted again.
 */
export function followRoutes(options: { routes: RouteTable; bus: Bus; pollMs: number; log: Log }): RouteFollower {
  const { routes, bus, log } = options;
  let head = routes.position;
  let lastHintAt: Date | null = null;
  let lastPollAt: Date | null = null;
  let degraded = false;
  let stopped = false;
  let wanted = 0;

  async function refresh(reason: string): Promise<void> {
    try {
      await routes.refresh();
      if (degraded) log({ level: "info", msg: "route store reachable again", reason });
      degraded = false;
    } catch (error) {
      if (!degraded) log({ level: "warn", msg: "route store unreachable; routing from memory", position: routes.position, error: String(error) });
      degraded = true;
    }
  }

  async function onHint(hint: RouteHint): Promise<void> {
    lastHintAt = new Date();
    head = Math.max(head, hint.position);
    if (hint.position <= routes.position) return; // duplicate or out of date
    wanted = Math.max(wanted, hint.position);
    for (let attempt = 0; attempt < HINT_RETRIES && !stopped && routes.position < wanted; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, HINT_RETRY_MS));
      await refresh("hint");
      if (degraded) return;
    }
  }

  /**
   * Reads whatever changed since the table's horizon: one cheap query when nothing did. Asking
   * every time (not only when the log head moved) also picks up a projection a replay swapped in.
   */
  async function poll(): Promise<void> {
    await refresh("poll");
    if (degraded) return;
    lastPollAt = new Date();
    head = Math.max(head, routes.position);
  }

  const unsubscribe = bus.subscribe((hint) => void onHint(hint));
  const unwatch = bus.onReconnect(() => void refresh("bus reconnected"));
  let timer: ReturnType<typeof setTimeout> | null = null;
  const schedule = () => {
    timer = setTimeout(async () => {
      await poll();
      if (!stopped) schedule();
    }, options.pollMs);
  };
  schedule();

  return {
    status: () => ({
      behind: Math.max(0, head - routes.position),
      lastHintAt: lastHintAt?.toISOString() ?? null,
      lastPollAt: lastPollAt?.toISOString() ?? null,
      bus: bus.kind,
      busConnected: bus.connected(),
      degraded,
    }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      unsubscribe();
      unwatch();
    },
  };
}
