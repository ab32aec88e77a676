import type { Log } from "../http/log.ts";
import type { Bus } from "./bus.ts";
import { inProcessBus } from "./in-process-bus.ts";
import { natsBus } from "./nats-bus.ts";

/** NATS when a URL is given; otherwise the in-process bus (one process, or routers that poll only). */
export function openBus(options: { natsUrl?: string; prefix: string; name: string; log: Log; pingIntervalMs?: number }): Bus {
  if (!options.natsUrl) return inProcessBus();
  return natsBus({
    url: options.natsUrl,
    prefix: options.prefix,
    name: options.name,
    ...(options.pingIntervalMs ? { pingIntervalMs: options.pingIntervalMs } : {}),
    onError: (error) => options.log({ level: "warn", msg: "NATS error", error: String(error) }),
  });
}
