import { describe, expect, test } from "bun:test";
import { DomainError, type ErrorCode } from "../../shared/errors.ts";
import { decideWave, foldWave, type BatchHealthReport, type WaveCommand, type WaveEvent } from "../../shared/wave.ts";

/** given past events, when a command, then new events (or a DomainError code). */
function given(...history: WaveEvent[]) {
  return {
    when(command: WaveCommand) {
      const outcome = () => decideWave(command, foldWave(history));
      return {
        then: (expected: WaveEvent[]) => expect(outcome()).toEqual(expected),
        thenRejects(code: ErrorCode) {
          try {
            outcome();
          } catch (error) {
            expect(error).toBeInstanceOf(DomainError);
            expect((error as DomainError).code).toBe(code);
            return;
          }
          throw new Error(`expected ${code}, but the command was accepted`);
        },
      };
    },
  };
}

const waveId = "w1";
const orgs = ["a", "b", "c", "d", "e"];
const guard = { minSuccessRate: 0.9 };
const plan: WaveCommand = { type: "PlanWave", waveId, name: " EU enterprise ", to: "target", organizations: orgs, batchSize: 2, soakMinutes: 30, guard };
const planned: WaveEvent = { type: "WavePlanned", data: { waveId, name: "EU enterprise", to: "target", organizations: orgs, batchSize: 2, soakMinutes: 30, guard } };
const t0 = "2026-11-30T10:00:00.000Z";
const t30 = "2026-11-30T10:30:00.000Z";
const started = (batch: number, organizations: string[], at = t0, until = t30): WaveEvent => ({ type: "BatchStarted", data: { waveId, batch, organizations, startedAt: at, soakUntil: until } });
const healthy: BatchHealthReport = { rolledBack: [], successRate: 0.99, logins: 200 };
const soaked = (batch: number, health = healthy, ok = true): WaveEvent => ({ type: "BatchSoaked", data: { waveId, batch, healthy: ok, health } });
const pausedBy = (reason: string): WaveEvent => ({ type: "WavePaused", data: { waveId, by: "operator", reason } });
const resumed: WaveEvent = { type: "WaveResumed", data: { waveId, reason: "fixed" } };

describe("PlanWave", () => {
  test("freezes the ordered selection, name trimmed", () => given().when(plan).then([planned]));
  test("uses the default guard when none is given", () => {
    const { guard: _, ...withoutGuard } = plan as Extract<WaveCommand, { type: "PlanWave" }>;
    const events = decideWave(withoutGuard, foldWave([]));
    expect(events[0]).toMatchObject({ data: { guard: { minSuccessRate: 0.95 } } });
  });
  test("rejects a wave id used before", () => given(planned).when(plan).thenRejects("wave_exists"));
  test("rejects a selection of nothing", () => given().when({ ...plan, organizations: [] } as WaveCommand).thenRejects("wave_selects_nothing"));
  test("rejects an organization listed twice", () => given().when({ ...plan, organizations: ["a", "a"] } as WaveCommand).thenRejects("invalid_wave"));
  test("rejects a batch size of zero", () => given().when({ ...plan, batchSize: 0 } as WaveCommand).thenRejects("invalid_wave"));
  test("rejects a negative soak", () => given().when({ ...plan, soakMinutes: -1 } as WaveCommand).thenRejects("invalid_wave"));
  test("rejects a success rate above 1", () => given().when({ ...plan, guard: { minSuccessRate: 1.5 } } as WaveCommand).thenRejects("invalid_wave"));
  test("rejects a blank name", () => given().when({ ...plan, name: " " } as WaveCommand).thenRejects("invalid_wave"));
});

describe("StartBatch", () => {
  test("starts the first batch with its slice of the plan and when its soak ends", () =>
    given(planned).when({ type: "StartBatch", waveId, now: t0 }).then([started(0, ["a", "b"])]));
  test("starts the next batch once the previous one soaked", () =>
    given(planned, started(0, ["a", "b"]), soaked(0)).when({ type: "StartBatch", waveId, now: t30 }).then([started(1, ["c", "d"], t30, "2026-11-30T11:00:00.000Z")]));
  test("the last batch holds what is left", () =>
    given(planned, started(0, ["a", "b"]), soaked(0), started(1, ["c", "d"]), soaked(1)).when({ type: "StartBatch", waveId, now: t0 }).then([started(2, ["e"])]));
  test("refuses while a batch soaks", () => given(planned, started(0, ["a", "b"])).when({ type: "StartBatch", waveId, now: t0 }).thenRejects("batch_not_ready"));
  test("refuses while paused", () => given(planned, pausedBy("wait")).when({ type: "StartBatch", waveId, now: t0 }).thenRejects("wave_paused"));
  test("refuses on a wave that does not exist", () => given().when({ type: "StartBatch", waveId, now: t0 }).thenRejects("wave_not_found"));
  test("refuses on an aborted wave", () =>
    given(planned, { type: "WaveAborted", data: { waveId, reason: "no", rollBack: false } }).when({ type: "StartBatch", waveId, now: t0 }).thenRejects("wave_finished"));
});

describe("FinishSoak", () => {
  const soaking = [planned, started(0, ["a", "b"])];
  test("a healthy batch is soaked", () => given(...soaking).when({ type: "FinishSoak", waveId, now: t30, health: healthy }).then([soaked(0)]));
  test("refuses before the soak is over", () =>
    given(...soaking).when({ type: "FinishSoak", waveId, now: "2026-11-30T10:29:59.999Z", health: healthy }).thenRejects("batch_not_ready"));
  test("a rolled-back organization pauses the wave, naming it", () => {
    const health = { rolledBack: ["b"], successRate: 0.99, logins: 200 };
    given(...soaking)
      .when({ type: "FinishSoak", waveId, now: t30, health })
      .then([soaked(0, health, false), { type: "WavePaused", data: { waveId, by: "guard", reason: "1 organization(s) of the batch rolled back: b; login success rate 99.0% over 200 logins", health } }]);
  });
  test("a success rate below the guard's pauses the wave, with the numbers", () => {
    const health = { rolledBack: [], successRate: 0.5, logins: 40 };
    given(...soaking)
      .when({ type: "FinishSoak", waveId, now: t30, health })
      .then([soaked(0, health, false), { type: "WavePaused", data: { waveId, by: "guard", reason: "login success rate 50.0% over 40 logins is below 90.0%", health } }]);
  });
  test("no logins seen is not a trip", () =>
    given(...soaking).when({ type: "FinishSoak", waveId, now: t30, health: { rolledBack: [], successRate: null, logins: 0 } }).then([soaked(0, { rolledBack: [], successRate: null, logins: 0 })]));
  test("the last batch soaked completes the wave", () =>
    given(planned, started(0, ["a", "b"]), soaked(0), started(1, ["c", "d"]), soaked(1), started(2, ["e"]))
      .when({ type: "FinishSoak", waveId, now: t30, health: healthy })
      .then([soaked(2), { type: "WaveCompleted", data: { waveId } }]));
  test("refuses when no batch soaks", () => given(planned).when({ type: "FinishSoak", waveId, now: t30, health: healthy }).thenRejects("batch_not_ready"));
});

describe("PauseWave, ResumeWave, AbortWave", () => {
  test("an operator pauses a running wave with a reason", () => given(planned).when({ type: "PauseWave", waveId, reason: "holiday" }).then([pausedBy("holiday")]));
  test("pausing a paused wave changes nothing", () => given(planned, pausedBy("x")).when({ type: "PauseWave", waveId, reason: "again" }).then([]));
  test("a pause needs a reason", () => given(planned).when({ type: "PauseWave", waveId, reason: " " }).thenRejects("reason_required"));
  test("resumes a paused wave", () => given(planned, pausedBy("x")).when({ type: "ResumeWave", waveId, reason: "fixed" }).then([resumed]));
  test("refuses to resume a running wave", () => given(planned).when({ type: "ResumeWave", waveId, reason: "fixed" }).thenRejects("wave_not_paused"));
  test("aborts, asking for rollback", () =>
    given(planned, started(0, ["a", "b"])).when({ type: "AbortWave", waveId, reason: "stop", rollBack: true }).then([{ type: "WaveAborted", data: { waveId, reason: "stop", rollBack: true } }]));
  test("refuses anything on a completed wave", () =>
    given(planned, { type: "WaveCompleted", data: { waveId } }).when({ type: "AbortWave", waveId, reason: "late", rollBack: false }).thenRejects("wave_finished"));
  test("after a guard trip and a resume, the next batch starts", () =>
    given(planned, started(0, ["a", "b"]), soaked(0, healthy, false), { type: "WavePaused", data: { waveId, by: "guard", reason: "r" } }, resumed)
      .when({ type: "StartBatch", waveId, now: t30 })
      .then([started(1, ["c", "d"], t30, "2026-11-30T11:00:00.000Z")]));
});
