/** What the decider needs to know about configured providers: ids, and which is which. */
export type ProviderCatalog = {
  /** Every configured provider id. */
  ids: readonly string[];
  /** Where organizations start, and where unknown organizations are routed (normally the legacy provider). */
  defaultProvider: string;
  /** Where a migration goes when it names no provider (the target provider). */
  defaultTarget: string;
};
