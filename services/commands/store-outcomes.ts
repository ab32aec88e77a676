import type { OutcomeStore } from "../../db/outcome-store.ts";
import type { UnmatchedStore } from "../../db/unmatched-store.ts";
import type { Bus } from "../bus/bus.ts";
import type { Log } from "../http/log.ts";

/**
 * The command service's side of the routers' outcome flushes: each batch is added to the
 * outcome table as it arrives, and rows past the retention are deleted hourly. A batch the
 * store refuses is dropped with a warning: these are operational counts, never commands.
 */
export function storeOutcomes(options: { bus: Bus; outcomes: OutcomeStore; unmatched?: UnmatchedStore; log: Log; retentionDays: number }): () => void {
  let failures = 0;
  const unsubscribe = options.bus.subscribeOutcomes((batch) => {
    Promise.all([options.outcomes.record(batch.rows), options.unmatched?.record(batch.unmatched)]).catch((error) => {
      failures++;
      if (failures === 1 || failures % 100 === 0) options.log({ level: "warn", msg: "login outcomes not stored", router: batch.router, failures, error: String(error) });
    });
  });
  const expire = () => options.outcomes.expire(options.retentionDays).catch((error) => options.log({ level: "warn", msg: "login outcomes not expired", error: String(error) }));
  void expire();
  const timer = setInterval(expire, 3600_000);
  return () => {
    unsubscribe();
    clearInterval(timer);
  };
}
