import type { Bus } from "../../services/bus/bus.ts";
import type { OutcomeStore } from "../../db/outcome-store.ts";
import { eventually } from "../support/eventually.ts";

/**
 * Waits until the command service's NATS subscription for outcomes is in place: NATS core drops
 * what is published before the server has it (at most once), so a probe batch is sent until one
 * lands in the table.
 */
export async function outcomesFlowing(routerBus: Bus, outcomes: OutcomeStore): Promise<void> {
  const probe = `probe-${crypto.randomUUID().slice(0, 8)}`;
  await eventually(
    async () => {
      await routerBus.publishOutcomes({ router: "probe", rows: [{ organizationId: probe, provider: "legacy", minute: 0, outcome: "token_ok", code: "", count: 1, durations: null }], unmatched: [] });
      return outcomes.read({ organizationId: probe, sinceMinute: 0 });
    },
    (rows) => rows.length > 0,
    10_000,
  );
}
