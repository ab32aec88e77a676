import { BusUnavailable, type Bus, type RouteHint } from "./bus.ts";

/** The embedded default's bus: the API and the router share one process. Delivery is asynchronous, as on NATS. */
export function inProcessBus(): Bus {
  const handlers = new Set<(hint: RouteHint) => void>();
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
    onReconnect: () => () => {},
    connected: () => !closed,
    async close() {
      closed = true;
      handlers.clear();
    },
  };
}
