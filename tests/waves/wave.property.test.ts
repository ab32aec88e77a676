import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { CodedError } from "../../shared/errors.ts";
import { streamIdOf } from "../../shared/events.ts";
import { foldWave, waveStreamIdOf, type WaveCommand, type WaveEvent } from "../../shared/wave.ts";
import { rollbacksInLog } from "../../services/waves/batch-health.ts";
import { handleWaveCommand } from "../../services/waves/wave-commands.ts";
import { runWave, stepWave, type WaveRunnerDeps } from "../../services/waves/wave-runner.ts";
import { BACKENDS, type StoreFixture } from "../support/stores.ts";
import { PROVIDERS, register, rollBack, run } from "../support/commands.ts";

/** One thing that can happen to a running wave. `restart` drops the runner and builds a new one from nothing. */
type Action =
  | { kind: "step" }
  | { kind: "time"; minutes: number }
  | { kind: "trip"; org: number }
  | { kind: "pause" }
  | { kind: "resume" }
  | { kind: "abort"; rollBack: boolean }
  | { kind: "restart" };

const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.constant({ kind: "step" } as const), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant("time" as const), minutes: fc.integer({ min: 1, max: 40 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("trip" as const), org: fc.nat(5) }), weight: 1 },
  { arbitrary: fc.constant({ kind: "pause" } as const), weight: 1 },
  { arbitrary: fc.constant({ kind: "resume" } as const), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("abort" as const), rollBack: fc.boolean() }), weight: 1 },
  { arbitrary: fc.constant({ kind: "restart" } as const), weight: 1 },
);

for (const backend of BACKENDS) {
  describe(`waves under random interleavings on ${backend.name}`, () => {
    let f: StoreFixture;
    beforeAll(async () => {
      f = await backend.open();
    });
    afterAll(async () => {
      await f.close();
    });

    test("each organization is migrated at most once per wave, never while paused, and an abort with rollback leaves none on the new provider", async () => {
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 3 }), async (actions, batchSize) => {
          const waveId = `pw-${round++}-${crypto.randomUUID().slice(0, 6)}`;
          const orgs = Array.from({ length: 6 }, (_, i) => `${waveId}-o${i}`);
          for (const id of orgs) await run(f.store, register(id));
          const operator = (c: WaveCommand) => handleWaveCommand(f.store, c, { actor: "op", requestId: "r", reason: null }).catch((e) => {
            if (!(e instanceof CodedError)) throw e;
          });
          await operator({ type: "PlanWave", waveId, name: "P", to: "target", organizations: orgs, batchSize, soakMinutes: 30 });
          let now = Date.parse("2026-11-30T10:00:00Z");
          const newRunner = (): WaveRunnerDeps => ({ store: f.store, providers: PROVIDERS, health: rollbacksInLog(f.store), clock: () => new Date(now) });
          let deps = newRunner();
          for (const a of actions) {
            if (a.kind === "step") await stepWave(deps, waveId);
            else if (a.kind === "time") now += a.minutes * 60_000;
            else if (a.kind === "trip") await run(f.store, rollBack(orgs[a.org]!)).catch((e) => { if (!(e instanceof CodedError)) throw e; });
            else if (a.kind === "pause") await operator({ type: "PauseWave", waveId, reason: "hold" });
            else if (a.kind === "resume") await operator({ type: "ResumeWave", waveId, reason: "go" });
            else if (a.kind === "abort") await operator({ type: "AbortWave", waveId, reason: "stop", rollBack: a.rollBack });
            else deps = newRunner();
          }
          await runWave(deps, waveId); // whatever the runner still has to do right now (an abort's rollbacks among it)

          const waveEvents = await f.store.readStream<WaveEvent>(waveStreamIdOf(waveId));
          const wave = foldWave(waveEvents);
          for (const id of orgs) {
            const history = await f.store.readStream(streamIdOf(id));
            const migrations = history.filter((e) => e.type === "OrganizationMigrated" && e.metadata.wave?.waveId === waveId);
            expect(migrations.length).toBeLessThanOrEqual(1);
            for (const m of migrations) {
              // The wave as it was when this migration was appended: running, never paused or finished.
              const then = foldWave(waveEvents.filter((e) => e.position < m.position));
              expect(then.status).toBe("running");
            }
            if (wave.status === "aborted" && wave.rollBack && migrations.length > 0) {
              expect((await f.store.getOrganization(id))!.provider).toBe("legacy");
            }
          }
        }),
        { numRuns: 20 },
      );
    });
  });
}
