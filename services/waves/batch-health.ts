import { streamIdOf } from "../../shared/events.ts";
import { minuteOf } from "../../shared/login-outcomes.ts";
import type { BatchHealthReport } from "../../shared/wave.ts";
import type { Streams } from "../../db/event-store.ts";
import type { OutcomeStore } from "../../db/outcome-store.ts";

/**
 * What the runner knows about a batch over its soak: which organizations were rolled back (by
 * the guard or an operator), and the login success rate the routers counted (issue 12).
 */
export type BatchHealth = {
  measure(batch: { waveId: string; organizations: string[]; since: string; until: string }): Promise<BatchHealthReport>;
};

type Measured = { organizationId: string; to: string; rolledBack: boolean };

/** For each organization this wave migrated: where it went, and whether it was rolled back since (stream order, no clock compared). */
async function migrationsOf(streams: Pick<Streams, "readStream">, waveId: string, organizations: string[]): Promise<Measured[]> {
  const measured: Measured[] = [];
  for (const organizationId of organizations) {
    const history = await streams.readStream(streamIdOf(organizationId));
    const at = history.findIndex((e) => e.metadata.wave?.waveId === waveId && e.type === "OrganizationMigrated");
    const migration = history[at];
    if (migration?.type !== "OrganizationMigrated") continue;
    measured.push({ organizationId, to: migration.data.to, rolledBack: history.slice(at + 1).some((e) => e.type === "OrganizationRolledBack") });
  }
  return measured;
}

/** Rollbacks from the log alone, no login figures (for tests and deployments without outcome counts). */
export function rollbacksInLog(streams: Pick<Streams, "readStream">): BatchHealth {
  return {
    async measure({ waveId, organizations }) {
      const rolledBack = (await migrationsOf(streams, waveId, organizations)).filter((m) => m.rolledBack).map((m) => m.organizationId);
      return { rolledBack, successRate: null, logins: 0 };
    },
  };
}

/**
 * Rollbacks from the log, and the batch's login success rate from the routers' outcome counts
 * (db/outcome-store.ts): finished logins (succeeded + failed) of the batch's organizations on the
 * provider the wave moved each to, in the minutes from the batch's start to now. Minutes are
 * whole, so the batch's first minute may hold a few flows started just before the move; only
 * the new provider's rows are counted, so those on the old one never are.
 */
export function batchHealth(streams: Pick<Streams, "readStream">, outcomes: Pick<OutcomeStore, "read">): BatchHealth {
  return {
    async measure({ waveId, organizations, since, until }) {
      const migrated = await migrationsOf(streams, waveId, organizations);
      const first = minuteOf(Date.parse(since));
      const last = minuteOf(Date.parse(until));
      let succeeded = 0;
      let failed = 0;
      for (const m of migrated) {
        for (const row of await outcomes.read({ organizationId: m.organizationId, sinceMinute: first })) {
          if (row.provider !== m.to || row.minute > last) continue;
          if (row.outcome === "succeeded") succeeded += row.count;
          else if (row.outcome === "failed") failed += row.count;
        }
      }
      const logins = succeeded + failed;
      return { rolledBack: migrated.filter((m) => m.rolledBack).map((m) => m.organizationId), successRate: logins === 0 ? null : succeeded / logins, logins };
    },
  };
}
