import type { ProviderHealth } from "../services/commands/health-report.ts";
import { cell, table } from "./output.ts";

/** One provider's login figures as the API shows them; the fleet view adds how many organizations it serves. */
export type ProviderHealthJson = ProviderHealth & { organizations?: number };

/** `GET /v1/organizations/{id}/health`. */
export type OrganizationHealthJson = {
  organizationId: string;
  provider: string | null;
  since: string;
  providers: ProviderHealthJson[];
  lastFailures: { at: string; code: string; provider: string; count: number }[];
  lastMigration: { at: string; position: number; from: string | null; to: string | null; before: ProviderHealthJson[]; after: ProviderHealthJson[] } | null;
};

/** `GET /v1/health`. */
export type FleetHealthJson = {
  since: string;
  providers: ProviderHealthJson[];
  organizations: { organizationId: string; started: number; succeeded: number; failed: number; abandoned: number; successRate: number | null; providers: ProviderHealthJson[] }[];
};

/** `0.8` → `80.0%`; nothing finished → `-`. */
export const rate = (value: number | null): string => (value === null ? "-" : `${(value * 100).toFixed(1)}%`);

/** `access_denied=3, invalid_request=1`, most frequent first. */
export const failureCodes = (byCode: Record<string, number>): string =>
  cell(
    Object.entries(byCode)
      .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
      .map(([code, n]) => `${code}=${n}`)
      .join(", ") || null,
  );

/** One row per provider: what a login's fate was, and the success rate. */
export function providerTable(providers: readonly ProviderHealthJson[], withOrganizations = false): string[] {
  const headers = ["PROVIDER", ...(withOrganizations ? ["ORGS"] : []), "STARTED", "SUCCEEDED", "FAILED", "ABANDONED", "IN FLIGHT", "SUCCESS", "FAILURES"];
  const rows = providers.map((p) => [
    p.provider,
    ...(withOrganizations ? [String(p.organizations ?? 0)] : []),
    String(p.started),
    String(p.succeeded),
    String(p.failed),
    String(p.abandoned),
    String(p.inFlight),
    rate(p.successRate),
    failureCodes(p.failedByCode),
  ]);
  return table(headers, rows);
}
