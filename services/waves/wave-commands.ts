import { VersionConflict } from "../../shared/errors.ts";
import { decideWave, foldWave, waveStreamIdOf, type WaveCommand, type WaveEvent, type WaveState } from "../../shared/wave.ts";
import type { Streams } from "../../db/event-store.ts";

export type WaveContext = { actor: string; requestId: string; reason: string | null; expectedVersion?: number };
export type WaveOutcome = { state: WaveState; version: number; position: number; appended: number };

const MAX_ATTEMPTS = 16;

/** The wave's command handler: read its stream, fold, decide, append; a lost race is decided again. */
export async function handleWaveCommand(streams: Streams, command: WaveCommand, context: WaveContext): Promise<WaveOutcome> {
  const streamId = waveStreamIdOf(command.waveId);
  for (let attempt = 1; ; attempt++) {
    const history = command.type === "PlanWave" && attempt === 1 ? [] : await streams.readStream<WaveEvent>(streamId);
    const version = history.length;
    if (context.expectedVersion !== undefined && context.expectedVersion !== version) throw new VersionConflict(streamId, context.expectedVersion, version);
    const before = foldWave(history);
    const events = decideWave(command, before);
    if (events.length === 0) return { state: before, version, position: history.at(-1)?.position ?? 0, appended: 0 };
    try {
      const metadata = { actor: context.actor, reason: context.reason, requestId: context.requestId, idempotencyKey: null };
      const result = await streams.appendToStream(streamId, version, events, metadata, { state: before });
      return { state: foldWave(events, before), version: result.version, position: result.position, appended: events.length };
    } catch (error) {
      if (!(error instanceof VersionConflict) || context.expectedVersion !== undefined || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
