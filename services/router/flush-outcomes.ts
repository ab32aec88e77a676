import type { OutcomeRow, UnmatchedRow } from "../../shared/login-outcomes.ts";
import type { Bus } from "../bus/bus.ts";
import type { Log } from "../http/log.ts";
import type { OutcomeRecorder } from "./outcome-recorder.ts";

/** Rows per message: well under NATS's default 1 MB payload limit. */
const CHUNK = 1000;

export type OutcomeFlusher = { flush(): Promise<void>; stop(): Promise<void>; status(): { flushed: number; failed: number; pending: number; dropped: number } };

/** Where unmatched traffic is kept between flushes (services/router/unmatched-record.ts). */
export type UnmatchedSource = { drain(): UnmatchedRow[]; restore(rows: readonly UnmatchedRow[]): void };

/**
 * Ships this router's counts to the command service every `intervalMs` (and once more on stop).
 * A flush the bus refuses is kept and merged into the next one: counts wait for NATS, they are
 * not lost to a short outage (a long one is bounded by the recorder's own limits).
 */
export function flushOutcomes(options: { router: string; recorder: OutcomeRecorder; unmatched?: UnmatchedSource; bus: Bus; intervalMs: number; log: Log }): OutcomeFlusher {
  const { recorder, bus } = options;
  let flushed = 0;
  let failed = 0;
  let running: Promise<void> | null = null;

  async function once() {
    const rows = recorder.drain();
    const unmatched = options.unmatched?.drain() ?? [];
    if (rows.length === 0 && unmatched.length === 0) return;
    let sent = 0;
    try {
      for (let i = 0; i === 0 || i < rows.length; i += CHUNK) {
        await bus.publishOutcomes({ router: options.router, rows: rows.slice(i, i + CHUNK), unmatched: i === 0 ? unmatched : [] });
        sent = i + CHUNK;
      }
      flushed++;
    } catch (error) {
      failed++;
      recorder.restore(rows.slice(sent));
      if (sent === 0) options.unmatched?.restore(unmatched);
      if (failed === 1 || failed % 100 === 0) options.log({ level: "warn", msg: "login outcomes not flushed; kept for the next flush", failures: failed, error: String(error) });
    }
  }
  const flush = () => (running ??= once().finally(() => (running = null)));
  const timer = setInterval(() => void flush(), options.intervalMs);
  return {
    flush,
    async stop() {
      clearInterval(timer);
      await running;
      await flush();
    },
    status: () => ({ flushed, failed, pending: recorder.stats().rows, dropped: recorder.stats().dropped }),
  };
}
