import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { streamIdOf } from "../../shared/events.ts";
import { DEFAULT_GUARD_POLICY } from "../../shared/guard-policy.ts";
import { minuteOf, type OutcomeRow } from "../../shared/login-outcomes.ts";
import { waveStreamIdOf, type WaveCommand, type WaveEvent } from "../../shared/wave.ts";
import { outcomeStore } from "../../db/outcome-store.ts";
import { startGuard } from "../../services/commands/guard.ts";
import { silentLog } from "../../services/http/log.ts";
import { batchHealth } from "../../services/waves/batch-health.ts";
import { handleWaveCommand } from "../../services/waves/wave-commands.ts";
import { runWave, type WaveRunnerDeps } from "../../services/waves/wave-runner.ts";
import { BACKENDS, type StoreFixture } from "../support/stores.ts";
import { PROVIDERS, register, run } from "../support/commands.ts";
import { unique } from "../support/unique.ts";

/**
 * Waves on the safety loop (issue 12): a batch's health is the guard's rollbacks in the log and
 * the login success rate from the routers' outcome counts (db/outcome-store.ts).
 */
for (const backend of BACKENDS) {
  describe(`a wave guarded by login outcomes on ${backend.name}`, () => {
    let f: StoreFixture;
    beforeAll(async () => {
      f = await backend.open();
    }, 30_000);
    afterAll(async () => {
      await f.close();
    });

    /** The runner's clock starts at the real now: the guard compares the migrations' recorded times to it. */
    function runner() {
      let now = Date.now();
      const deps: WaveRunnerDeps = { store: f.store, providers: PROVIDERS, health: batchHealth(f.store, outcomeStore(f.db)), clock: () => new Date(now) };
      return { start: now, advance: (minutes: number) => (now += minutes * 60_000), run: (waveId: string) => runWave(deps, waveId) };
    }
    const command = (c: WaveCommand) => handleWaveCommand(f.store, c, { actor: "operator", requestId: "r", reason: null });
    async function planWave(size: number, batchSize: number, minSuccessRate?: number) {
      const waveId = unique("wave");
      const organizations = Array.from({ length: size }, (_, i) => `${waveId}-org${i}`);
      for (const id of organizations) await run(f.store, register(id));
      await command({ type: "PlanWave", waveId, name: "Guarded", to: "target", organizations, batchSize, soakMinutes: 30, ...(minSuccessRate !== undefined ? { guard: { minSuccessRate } } : {}) });
      return { waveId, organizations };
    }
    const row = (organizationId: string, provider: string, minute: number, outcome: "succeeded" | "failed", count: number): OutcomeRow => ({
      organizationId, provider, minute, outcome, code: outcome === "failed" ? "access_denied" : "", count, durations: null,
    });
    const providerOf = async (id: string) => (await f.store.getOrganization(id))!.provider;

    test("a success rate below the wave's guard pauses it after the batch's soak, with the numbers; only the new provider's logins in the soak count", async () => {
      const { waveId, organizations } = await planWave(4, 2, 0.9);
      const r = runner();
      expect(await r.run(waveId)).toEqual(["batch-started", "migrated", "migrated", "idle"]);
      const [a, b] = organizations as [string, string];
      const minute = minuteOf(r.start);
      await outcomeStore(f.db).record([
        row(a, "target", minute, "succeeded", 16),
        row(b, "target", minute + 1, "failed", 4),
        // Not the batch's: its old provider, a minute before the batch, an organization of a later batch.
        row(b, "legacy", minute, "failed", 50),
        row(a, "target", minute - 2, "failed", 50),
        row(organizations[2]!, "legacy", minute, "failed", 50),
      ]);
      r.advance(30);
      expect(await r.run(waveId)).toEqual(["soak-finished", "idle"]);
      const wave = (await f.store.getWave(waveId))!.state;
      expect(wave.status).toBe("paused");
      expect(wave.pauses[0]).toMatchObject({ by: "guard", reason: "login success rate 80.0% over 20 logins is below 90.0%", health: { rolledBack: [], successRate: 0.8, logins: 20 } });
      expect(await Promise.all(organizations.map(providerOf))).toEqual(["target", "target", "legacy", "legacy"]);
    });

    test("a batch whose logins hold moves on; no logins seen is no rate", async () => {
      const { waveId, organizations } = await planWave(4, 2);
      const r = runner();
      await r.run(waveId);
      await outcomeStore(f.db).record([row(organizations[0]!, "target", minuteOf(r.start), "succeeded", 40), row(organizations[1]!, "target", minuteOf(r.start), "failed", 1)]);
      r.advance(30);
      expect(await r.run(waveId)).toEqual(["soak-finished", "batch-started", "migrated", "migrated", "idle"]);
      r.advance(30);
      expect(await r.run(waveId)).toEqual(["completed"]);
      const soaked = (await f.store.readStream<WaveEvent>(waveStreamIdOf(waveId))).flatMap((e) => (e.type === "BatchSoaked" ? [e.data.health] : []));
      expect(soaked).toEqual([{ rolledBack: [], successRate: 40 / 41, logins: 41 }, { rolledBack: [], successRate: null, logins: 0 }]);
    });

    test("the guard rolls back a wave's organization whose logins fail, through the store, and the wave pauses after that batch", async () => {
      const { waveId, organizations } = await planWave(4, 2);
      const r = runner();
      await r.run(waveId);
      const [healthy, failing] = organizations as [string, string];
      const minute = minuteOf(Date.now());
      const outcomes = outcomeStore(f.db);
      await outcomes.record([row(failing, "legacy", minute - 30, "succeeded", 20), row(failing, "target", minute, "failed", 8), row(healthy, "target", minute, "succeeded", 8)]);
      const guard = startGuard({ db: f.db, store: f.store, outcomes, providers: PROVIDERS, policy: DEFAULT_GUARD_POLICY, intervalMs: 3_600_000, log: silentLog });
      try {
        expect((await guard.tick()).map((a) => a.organizationId)).toEqual([failing]);
      } finally {
        await guard.stop();
      }
      const last = (await f.store.readStream(streamIdOf(failing))).at(-1)!;
      expect(last).toMatchObject({ type: "OrganizationRolledBack", metadata: { actor: "guard" } });
      expect(await providerOf(failing)).toBe("legacy");
      r.advance(30);
      expect(await r.run(waveId)).toEqual(["soak-finished", "idle"]);
      expect((await f.store.getWave(waveId))!.state.pauses[0]).toMatchObject({ by: "guard", reason: `1 organization(s) of the batch rolled back: ${failing}; login success rate 50.0% over 16 logins` });
      expect(await Promise.all(organizations.map(providerOf))).toEqual(["target", "legacy", "legacy", "legacy"]);
      expect((await f.store.replay({ swap: false })).differences).toEqual([]);
    });
  });
}
