import { spellingKey } from "../../shared/identifier-spelling.ts";
import { identifierKey, type Identifier, type IdentifierKind } from "../../shared/identifiers.ts";
import type { RouteLookup } from "../../shared/routing/resolve-organization.ts";
import type { RouteRow, RouteSnapshot, RouteSource } from "../../db/route-source.ts";

export type RouteTableStatus = {
  position: number;
  organizations: number;
  identifiers: number;
  loadedAt: string | null;
  refreshedAt: string | null;
};

/**
 * The whole route table in memory. Changes are read asynchronously, then applied in one
 * synchronous step: a request handled before sees the old table, one after sees the new one.
 * Refreshes are serialized, and a refresh asked for while one runs is folded into the next.
 */
export class RouteTable implements RouteLookup {
  readonly #source: RouteSource;
  readonly #providers = new Map<string, string>();
  readonly #owners = new Map<string, string>();
  readonly #identifiersOf = new Map<string, Identifier[]>();
  #horizon: string | null = null;
  #position = 0;
  #loadedAt: Date | null = null;
  #refreshedAt: Date | null = null;
  #running: Promise<void> | null = null;
  #again = false;

  constructor(source: RouteSource) {
    this.#source = source;
  }

  get loaded(): boolean {
    return this.#horizon !== null;
  }

  get position(): number {
    return this.#position;
  }

  providerOf(organizationId: string): string | undefined {
    return this.#providers.get(organizationId);
  }

  /** `value` in lookup spelling (resolveOrganization normalizes what it reads from requests). */
  organizationOf(kind: IdentifierKind, value: string): string | undefined {
    return this.#owners.get(identifierKey({ kind, value }));
  }

  async load(): Promise<void> {
    const snapshot = await this.#source.loadAll();
    this.#apply(snapshot);
    this.#loadedAt = new Date();
  }

  /** Reads what changed since the last read and swaps it in; concurrent calls share one read. */
  refresh(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          if (this.#horizon === null) await this.load();
          else this.#apply(await this.#source.changesSince(this.#horizon));
        } while (this.#again);
      } finally {
        this.#running = null;
      }
    })();
    return this.#running;
  }

  status(): RouteTableStatus {
    return {
      position: this.#position,
      organizations: this.#providers.size,
      identifiers: this.#owners.size,
      loadedAt: this.#loadedAt?.toISOString() ?? null,
      refreshedAt: this.#refreshedAt?.toISOString() ?? null,
    };
  }

  /** Synchronous on purpose: no request can observe half of a change. */
  #apply(snapshot: RouteSnapshot): void {
    for (const row of snapshot.rows) {
      for (const old of this.#identifiersOf.get(row.organizationId) ?? []) {
        const key = spellingKey(old);
        if (this.#owners.get(key) === row.organizationId) this.#owners.delete(key);
      }
    }
    for (const row of snapshot.rows) this.#put(row);
    this.#horizon = snapshot.horizon;
    this.#position = Math.max(this.#position, snapshot.position);
    this.#refreshedAt = new Date();
  }

  #put(row: RouteRow): void {
    this.#providers.set(row.organizationId, row.provider);
    this.#identifiersOf.set(row.organizationId, row.identifiers);
    // Keyed by lookup spelling, so rows written before identifiers were normalized (an issuer
    // with a trailing slash or upper-case host) are found by the normal form requests carry.
    for (const identifier of row.identifiers) this.#owners.set(spellingKey(identifier), row.organizationId);
  }
}
