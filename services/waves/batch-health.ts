import { streamIdOf } from "../../shared/events.ts";
import type { BatchHealthReport } from "../../shared/wave.ts";
import type { Streams } from "../../db/event-store.ts";

/**
 * What the guard knows about a batch over its soak: which organizations were rolled back, and
 * the login success rate. The safety loop (login outcomes, issue 12) plugs in here; until then
 * `rollbacksInLog` answers from the log alone.
 */
export type BatchHealth = {
  measure(batch: { waveId: string; organizations: string[]; since: string; until: string }): Promise<BatchHealthReport>;
};

/**
 * Rolled back = the organization's stream has an OrganizationRolledBack after the migration this
 * wave appended (stream order, so no clock is compared). No login figures.
 */
export function rollbacksInLog(streams: Pick<Streams, "readStream">): BatchHealth {
  return {
    async measure({ waveId, organizations }) {
      const rolledBack: string[] = [];
      for (const id of organizations) {
        const history = await streams.readStream(streamIdOf(id));
        const migrated = history.findIndex((e) => e.metadata.wave?.waveId === waveId && e.type === "OrganizationMigrated");
        if (migrated >= 0 && history.slice(migrated + 1).some((e) => e.type === "OrganizationRolledBack")) rolledBack.push(id);
      }
      return { rolledBack, successRate: null, logins: 0 };
    },
  };
}
