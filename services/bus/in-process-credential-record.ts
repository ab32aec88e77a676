import { assertHash, type CredentialKind, type CredentialRecord, type CredentialTtls } from "./credential-record.ts";

/**
 * The embedded default's record: one process, one map. Bounded: past `maxEntries` the oldest
 * entry goes first (a forgotten credential follows the unknown-credential policy, nothing worse).
 */
export function inProcessCredentialRecord(options: { ttlMs: CredentialTtls; maxEntries?: number; now?: () => number }): CredentialRecord {
  const now = options.now ?? Date.now;
  const max = options.maxEntries ?? 200_000;
  const entries = new Map<string, { provider: string; kind: CredentialKind; expiresAt: number }>();
  let closed = false;
  return {
    kind: "in-process",
    async remember(kind, hash, provider) {
      assertHash(hash);
      if (closed) throw new Error("the credential record is closed");
      entries.delete(hash); // re-inserted last: the oldest entry is always first in the map
      entries.set(hash, { provider, kind, expiresAt: now() + options.ttlMs[kind] });
      while (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    async issuerOf(hash, kinds) {
      const entry = entries.get(hash);
      if (!entry || (kinds && !kinds.includes(entry.kind))) return null;
      if (entry.expiresAt <= now()) {
        entries.delete(hash);
        return null;
      }
      return entry.provider;
    },
    available: () => !closed,
    async close() {
      closed = true;
      entries.clear();
    },
  };
}
