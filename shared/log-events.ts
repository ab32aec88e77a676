import { EVENT_TYPES, type EventType } from "./events.ts";
import { WAVE_EVENT_TYPES, type WaveEvent } from "./wave.ts";

/** Every type the one log holds: organizations' events and waves'. */
export type LogEventType = EventType | WaveEvent["type"];
export const LOG_EVENT_TYPES: readonly LogEventType[] = [...EVENT_TYPES, ...WAVE_EVENT_TYPES];
