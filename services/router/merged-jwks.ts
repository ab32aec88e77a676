import type { ProviderConfig } from "../../shared/config.ts";
import { PRESET_SHAPES } from "../../shared/presets.ts";
import type { Fetch } from "./forward.ts";

type Jwk = Record<string, unknown>;
type Cached = { keys: Jwk[]; fetchedAt: number };

export type MergedJwks = {
  keys(): Promise<{ keys: Jwk[] }>;
  /** The provider that publishes the key `kid`; null when none or more than one does. */
  providerOfKey(kid: string): Promise<string | null>;
};

const FRESH_MS = 5 * 60_000;

/**
 * The union of every provider's signing keys, so a token from either verifies while both
 * issue tokens. Each provider's set is cached; a stale set is served while it is refetched,
 * and a provider that fails keeps its last good keys.
 */
export function mergedJwks(providers: readonly ProviderConfig[], fetch: Fetch, now: () => number = Date.now): MergedJwks {
  const sources = providers
    .map((p) => ({ provider: p, path: p.jwksPath ?? PRESET_SHAPES[p.preset].jwks }))
    .filter((s): s is { provider: ProviderConfig; path: string } => s.path !== null);
  const cache = new Map<string, Cached>();
  const inflight = new Map<string, Promise<void>>();

  function refresh(source: (typeof sources)[number]): Promise<void> {
    const running = inflight.get(source.provider.id);
    if (running) return running;
    const task = (async () => {
      try {
        const host = source.provider.preserveHost ? undefined : new URL(source.provider.origin).host;
        const response = await fetch(source.provider.origin + source.path, {
          headers: { accept: "application/json", ...(host ? { host } : {}) },
          redirect: "manual",
          signal: AbortSignal.timeout(source.provider.timeoutMs),
        });
        const body = (await response.json()) as { keys?: unknown };
        if (response.ok && Array.isArray(body.keys)) cache.set(source.provider.id, { keys: body.keys as Jwk[], fetchedAt: now() });
      } catch {
        // Keep the last good keys; the next request tries again.
      } finally {
        inflight.delete(source.provider.id);
      }
    })();
    inflight.set(source.provider.id, task);
    return task;
  }

  return {
    async providerOfKey(kid) {
      await this.keys();
      const publishers = sources.filter((s) => cache.get(s.provider.id)?.keys.some((key) => key.kid === kid));
      return publishers.length === 1 ? publishers[0]!.provider.id : null;
    },
    async keys() {
      await Promise.all(
        sources.map((s) => {
          const cached = cache.get(s.provider.id);
          if (!cached) return refresh(s);
          if (now() - cached.fetchedAt > FRESH_MS) void refresh(s);
          return undefined;
        }),
      );
      const seen = new Set<string>();
      const keys: Jwk[] = [];
      for (const s of sources) {
        for (const key of cache.get(s.provider.id)?.keys ?? []) {
          const id = typeof key.kid === "string" ? `${key.kty}:${key.kid}` : JSON.stringify(key);
          if (!seen.has(id)) {
            seen.add(id);
            keys.push(key);
          }
        }
      }
      return { keys };
    },
  };
}
