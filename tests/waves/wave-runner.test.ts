import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { streamIdOf } from "../../shared/events.ts";
import { waveStreamIdOf, type WaveCommand, type WaveEvent } from "../../shared/wave.ts";
import { rollbacksInLog } from "../../services/waves/batch-health.ts";
import { handleWaveCommand } from "../../services/waves/wave-commands.ts";
import { runWave, waveRunner, type WaveRunnerDeps } from "../../services/waves/wave-runner.ts";
import { BACKENDS, type StoreFixture } from "../support/stores.ts";
import { PROVIDERS, register, rollBack, run } from "../support/commands.ts";
import { unique } from "../support/unique.ts";

for (const backend of BACKENDS) {
  describe(`wave runner on ${backend.name}`, () => {
    let f: StoreFixture;
    beforeAll(async () => {
      f = await backend.open();
    });
    afterAll(async () => {
      await f.close();
    });

    /** A runner over the store with a clock the test moves. */
    function runner(start = Date.parse("2026-11-30T10:00:00Z")) {
      let now = start;
      const deps: WaveRunnerDeps = { store: f.store, providers: PROVIDERS, health: rollbacksInLog(f.store), clock: () => new Date(now) };
      return { deps, advance: (minutes: number) => (now += minutes * 60_000), run: (waveId: string) => runWave(deps, waveId) };
    }
    const command = (c: WaveCommand) => handleWaveCommand(f.store, c, { actor: "operator", requestId: "r", reason: null });
    async function planWave(size: number, batchSize = 2) {
      const waveId = unique("wave");
      const organizations = Array.from({ length: size }, (_, i) => `${waveId}-org${i}`);
      for (const id of organizations) await run(f.store, register(id));
      await command({ type: "PlanWave", waveId, name: "Test wave", to: "target", organizations, batchSize, soakMinutes: 30 });
      return { waveId, organizations };
    }
    const providerOf = async (id: string) => (await f.store.getOrganization(id))!.provider;
    const waveMigrations = async (waveId: string, id: string) =>
      (await f.store.readStream(streamIdOf(id))).filter((e) => e.type === "OrganizationMigrated" && e.metadata.wave?.waveId === waveId);

    test("migrates batch by batch, waiting out each soak on the injected clock, then completes", async () => {
      const { waveId, organizations } = await planWave(5);
      const r = runner();
      expect(await r.run(waveId)).toEqual(["batch-started", "migrated", "migrated", "idle"]);
      expect(await Promise.all(organizations.map(providerOf))).toEqual(["target", "target", "legacy", "legacy", "legacy"]);
      expect(await r.run(waveId)).toEqual(["idle"]);
      r.advance(30);
      expect(await r.run(waveId)).toEqual(["soak-finished", "batch-started", "migrated", "migrated", "idle"]);
      r.advance(30);
      expect(await r.run(waveId)).toEqual(["soak-finished", "batch-started", "migrated", "idle"]);
      r.advance(30);
      expect(await r.run(waveId)).toEqual(["completed"]);
      expect(await Promise.all(organizations.map(providerOf))).toEqual(Array(5).fill("target"));
      const [first] = await waveMigrations(waveId, organizations[2]!);
      expect(first!.metadata).toMatchObject({ actor: "wave-runner", wave: { waveId, batch: 1 } });
      const view = await f.store.getWave(waveId);
      expect(view!.state).toMatchObject({ status: "completed", batches: [{ healthy: true }, { healthy: true }, { healthy: true }] });
      expect((await f.store.readStream<WaveEvent>(waveStreamIdOf(waveId))).map((e) => e.type)).toEqual([
        "WavePlanned", "BatchStarted", "BatchSoaked", "BatchStarted", "BatchSoaked", "BatchStarted", "BatchSoaked", "WaveCompleted",
      ]);
    });

    test("a rollback in a batch pauses the wave after its soak, with the reason; nothing moves until resumed", async () => {
      const { waveId, organizations } = await planWave(4);
      const r = runner();
      await r.run(waveId);
      await run(f.store, rollBack(organizations[1]!));
      r.advance(30);
      expect(await r.run(waveId)).toEqual(["soak-finished", "idle"]);
      const paused = (await f.store.getWave(waveId))!.state;
      expect(paused.status).toBe("paused");
      expect(paused.pauses[0]).toMatchObject({ by: "guard", reason: `1 organization(s) of the batch rolled back: ${organizations[1]}` });
      r.advance(60);
      expect(await r.run(waveId)).toEqual(["idle"]);
      expect(await Promise.all(organizations.map(providerOf))).toEqual(["target", "legacy", "legacy", "legacy"]);
      await command({ type: "ResumeWave", waveId, reason: "the IdP was fixed" });
      expect(await r.run(waveId)).toEqual(["batch-started", "migrated", "migrated", "idle"]);
      expect(await Promise.all(organizations.map(providerOf))).toEqual(["target", "legacy", "target", "target"]);
    });

    test("a runner restarted in the middle of a batch migrates no organization twice and skips none", async () => {
      const { waveId, organizations } = await planWave(3, 3);
      const first = runner();
      const { stepWave } = await import("../../services/waves/wave-runner.ts");
      expect(await stepWave(first.deps, waveId)).toBe("batch-started");
      expect(await stepWave(first.deps, waveId)).toBe("migrated");
      // The process dies here; a new one starts from the log alone.
      const restarted = runner();
      expect(await restarted.run(waveId)).toEqual(["migrated", "migrated", "idle"]);
      for (const id of organizations) expect(await waveMigrations(waveId, id)).toHaveLength(1);
    });

    test("an abort that asks for rollback returns every organization the wave migrated, as commands with actor and reason", async () => {
      const { waveId, organizations } = await planWave(4);
      const r = runner();
      await r.run(waveId);
      await command({ type: "AbortWave", waveId, reason: "stop everything", rollBack: true });
      expect(await r.run(waveId)).toEqual(["rolled-back", "rolled-back", "idle"]);
      expect(await Promise.all(organizations.map(providerOf))).toEqual(Array(4).fill("legacy"));
      const last = (await f.store.readStream(streamIdOf(organizations[0]!))).at(-1)!;
      expect(last).toMatchObject({ type: "OrganizationRolledBack", metadata: { actor: "wave-runner", wave: { waveId } } });
    });

    test("an organization in a running wave cannot join another until that one finishes", async () => {
      const { waveId, organizations } = await planWave(2);
      const other = unique("wave");
      const refused = command({ type: "PlanWave", waveId: other, name: "Other", to: "target", organizations: [organizations[1]!], batchSize: 1, soakMinutes: 0 });
      await expect(refused).rejects.toMatchObject({ code: "organization_in_wave" });
      expect(await f.store.readStream(waveStreamIdOf(other))).toEqual([]);
      await command({ type: "AbortWave", waveId, reason: "never mind", rollBack: false });
      await command({ type: "PlanWave", waveId: other, name: "Other", to: "target", organizations: [organizations[1]!], batchSize: 1, soakMinutes: 0 });
      expect((await f.store.getWave(other))!.state.status).toBe("running");
      expect((await f.store.replay({ swap: false })).differences).toEqual([]);
    });

    test("with two replicas, only the one holding the lease drives waves", async () => {
      const a = waveRunner({ ...runner().deps, holder: unique("replica-a") });
      const b = waveRunner({ ...runner().deps, holder: unique("replica-b") });
      const [tookA, tookB] = await Promise.all([a.tick(), b.tick()]);
      expect([tookA, tookB].filter(Boolean)).toHaveLength(1);
      const holder = tookA ? a : b;
      const waiting = tookA ? b : a;
      expect(await holder.tick()).toBe(true);
      expect(await waiting.tick()).toBe(false);
      await holder.stop();
      expect(await waiting.tick()).toBe(true);
      await waiting.stop();
    });
  });
}
