import type { UnmatchedKind, UnmatchedRow } from "../../shared/login-outcomes.ts";

/** Per kind, between two flushes; the command service keeps its own top list over time. */
const DEFAULT_PER_KIND = 100;
/** Counts stop here: a flood cannot overflow them, and they still order correctly. */
export const COUNT_CEILING = 1_000_000_000;
/** A longer value is nobody's real identifier (and would make the record costly): not kept. */
const MAX_VALUE = 512;

type Entry = { count: number; firstSeen: number; lastSeen: number; requestKind: string; provider: string };

export type UnmatchedRecord = {
  /** A value a request carried that named no known organization. */
  saw(kind: UnmatchedKind, value: string, requestKind: string, provider: string, nowMs: number): void;
  drain(): UnmatchedRow[];
  restore(rows: readonly UnmatchedRow[]): void;
  size(): number;
};

/**
 * The most frequent unmatched values per kind, in bounded memory whatever arrives (the
 * Space-Saving algorithm, Metwally et al. 2005): when a kind's list is full, a new value replaces
 * the least counted one and inherits its count plus one, so a value seen more often than the
 * flood around it always stays listed; counts may overestimate, never underestimate, and saturate.
 */
export function unmatchedRecord(options: { perKind?: number } = {}): UnmatchedRecord {
  const perKind = options.perKind ?? DEFAULT_PER_KIND;
  let kinds = new Map<UnmatchedKind, Map<string, Entry>>();

  function add(kind: UnmatchedKind, value: string, count: number, firstSeen: number, lastSeen: number, requestKind: string, provider: string) {
    if (value.length === 0 || value.length > MAX_VALUE) return;
    let entries = kinds.get(kind);
    if (!entries) kinds.set(kind, (entries = new Map()));
    const existing = entries.get(value);
    if (existing) {
      existing.count = Math.min(COUNT_CEILING, existing.count + count);
      existing.lastSeen = Math.max(existing.lastSeen, lastSeen);
      existing.firstSeen = Math.min(existing.firstSeen, firstSeen);
      existing.requestKind = requestKind;
      existing.provider = provider;
      return;
    }
    let inherited = 0;
    if (entries.size >= perKind) {
      let minKey: string | null = null;
      let min = Infinity;
      for (const [key, entry] of entries) {
        if (entry.count < min) {
          min = entry.count;
          minKey = key;
        }
      }
      entries.delete(minKey!);
      inherited = min;
    }
    entries.set(value, { count: Math.min(COUNT_CEILING, inherited + count), firstSeen, lastSeen, requestKind, provider });
  }

  return {
    saw(kind, value, requestKind, provider, nowMs) {
      add(kind, value, 1, nowMs, nowMs, requestKind, provider);
    },
    drain() {
      const rows: UnmatchedRow[] = [];
      for (const [kind, entries] of kinds) for (const [value, e] of entries) rows.push({ kind, value, ...e });
      kinds = new Map();
      return rows;
    },
    restore(rows) {
      for (const r of rows) add(r.kind, r.value, r.count, r.firstSeen, r.lastSeen, r.requestKind, r.provider);
    },
    size: () => [...kinds.values()].reduce((n, entries) => n + entries.size, 0),
  };
}
