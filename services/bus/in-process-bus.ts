import type { OutcomeBatch } from "../../shared/login-outcomes.ts";
import { BusUnavailable, type Bus, type RouteHint } from "./bus.ts";

/** The embedded default's bus: the API and the router share one process. Delivery is asynchronous, as on NATS. */
export function inProcessBus(): Bus {
  const handlers = new Set<(hint: RouteHint) => void>();
  const outcomeHandlers = new Set<(batch: OutcomeBatch) => void>();
  let closed = false;
  return {
    kind: "in-process",
    async publish(hint) {
      if (closed) throw new BusUnavailable("the in-process bus is closed");
      const copy = { ...hint };
      queueMicrotask(() => {
        if (!closed) for (const handler of handlers) handler(copy);
      });
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => void handlers.delete(handler);
    },
    async publishOutcomes(batch) {
      if (closed) throw new BusUnavailable("the in-process bus is closed");
      const copy = structuredClone(batch);
      queueMicrotask(() => {
        if (!closed) for (const handler of outcomeHandlers) return handler(copy);
      });
    },
    subscribeOutcomes(handler) {
      outcomeHandlers.add(handler);
      return () => void outcomeHandlers.delete(handler);
    },
    onReconnect: () => () => {},
    connected: () => !closed,
    async close() {
      closed = true;
      handlers.clear();
      outcomeHandlers.clear();
    },
  };
}
