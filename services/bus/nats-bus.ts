import { connect, Events, type NatsConnection } from "nats";
import { parseOutcomeBatch, type OutcomeBatch } from "../../shared/login-outcomes.ts";
import { BusUnavailable, parseHint, type Bus, type RouteHint } from "./bus.ts";

export type NatsBusOptions = {
  url: string;
  prefix: string;
  name: string;
  /** How often the client pings the server; after MAX_PINGS_OUT unanswered pings the connection counts as lost. */
  pingIntervalMs?: number;
  onError?: (error: unknown) => void;
};

/**
 * A server that accepts TCP and then says nothing never closes the socket: only unanswered
 * pings reveal it. Two missed pings mark the bus disconnected (routers then rely on polling)
 * and the client reconnects; a (re)connect handshake gets as long as two pings.
 */
const MAX_PINGS_OUT = 2;
const DEFAULT_PING_INTERVAL_MS = 5000;

/**
 * Hints over NATS core (at-most-once: a lost hint only delays a router until its next poll).
 * Connecting never blocks start-up: the client keeps trying in the background, publishes fail
 * fast while it is away, and every (re)connect tells subscribers to catch up.
 */
export function natsBus(options: NatsBusOptions): Bus {
  const subject = `${options.prefix}.routes.changed`;
  const handlers = new Set<(hint: RouteHint) => void>();
  const reconnectHandlers = new Set<() => void>();
  const outcomesSubject = `${options.prefix}.outcomes`;
  const outcomeHandlers = new Set<(batch: OutcomeBatch) => void>();
  let outcomesSubscribed = false;
  // Only a command service listens for outcomes (routers never pay for each other's batches); a queue group gives each batch to one replica.
  const listenForOutcomes = (connection: NatsConnection) => {
    if (outcomesSubscribed || outcomeHandlers.size === 0) return;
    outcomesSubscribed = true;
    connection.subscribe(outcomesSubject, {
      queue: "ssomigrate-outcomes",
      callback: (error, message) => {
        if (error) return options.onError?.(error);
        const batch = parseOutcomeBatch(textDecoder.decode(message.data));
        if (batch) for (const handler of outcomeHandlers) return handler(batch);
      },
    });
  };
  let nc: NatsConnection | null = null;
  let up = false;
  let closed = false;
  const textDecoder = new TextDecoder();
  const textEncoder = new TextEncoder();

  const pingInterval = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
  const opening = connect({
    servers: options.url,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    pingInterval,
    maxPingOut: MAX_PINGS_OUT,
    timeout: Math.max(1000, MAX_PINGS_OUT * pingInterval),
  })
    .then(async (connection) => {
      if (closed) {
        await connection.close();
        return;
      }
      nc = connection;
      connection.subscribe(subject, {
        callback: (error, message) => {
          if (error) return options.onError?.(error);
          const hint = parseHint(textDecoder.decode(message.data));
          if (hint) for (const handler of handlers) handler(hint);
        },
      });
      listenForOutcomes(connection);
      await connection.flush(); // the server has our subscription before we call ourselves connected
      up = true;
      for (const handler of reconnectHandlers) handler();
      for await (const status of connection.status()) {
        if (status.type === Events.Disconnect) up = false;
        if (status.type === Events.Reconnect) {
          up = true;
          for (const handler of reconnectHandlers) handler();
        }
      }
    })
    .catch((error) => options.onError?.(error));

  return {
    kind: "nats",
    async publish(hint) {
      if (!nc || !up || closed) throw new BusUnavailable(`NATS at ${options.url} is not connected`);
      nc.publish(subject, textEncoder.encode(JSON.stringify({ orgId: hint.orgId, position: hint.position })));
    },
    async publishOutcomes(batch) {
      if (!nc || !up || closed) throw new BusUnavailable(`NATS at ${options.url} is not connected`);
      nc.publish(outcomesSubject, textEncoder.encode(JSON.stringify(batch)));
    },
    subscribeOutcomes(handler) {
      outcomeHandlers.add(handler);
      if (nc) listenForOutcomes(nc);
      return () => void outcomeHandlers.delete(handler);
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => void handlers.delete(handler);
    },
    onReconnect(handler) {
      reconnectHandlers.add(handler);
      return () => void reconnectHandlers.delete(handler);
    },
    connected: () => up && !closed,
    async close() {
      if (closed) return;
      closed = true;
      handlers.clear();
      outcomeHandlers.clear();
      const connection = nc;
      if (connection && !connection.isClosed()) {
        await connection.drain().catch(() => connection.close());
      }
      await Promise.race([opening, Promise.resolve()]);
    },
  };
}
