import { Hono } from "hono";
import { CodedError } from "../../shared/errors.ts";
import { streamIdOf } from "../../shared/events.ts";
import { minuteOf } from "../../shared/login-outcomes.ts";
import type { StoredOutcome } from "../../db/outcome-store.ts";
import { DEFAULT_TTL_SECONDS } from "../router/pin-cookie.ts";
import { requireScope } from "./auth.ts";
import type { CommandsDeps, CommandsEnv } from "./app.ts";
import { emptyHealth, lastFailures, providerHealth } from "./health-report.ts";
import { fold } from "../../shared/organization.ts";
import { organizationIdParam, positiveInt, queryParams } from "./input.ts";
import { exactTimeParam } from "./exact-time.ts";

const DAY_MS = 24 * 3600_000;

/**
 * Login health from the routers' outcome counts (issue 12): one organization, before and after
 * its last migration, and the fleet, worst organizations first. Read-only, `migrations:read`.
 */
export function healthRoutes(deps: CommandsDeps) {
  const read = requireScope(deps.verifyToken, "migrations:read");
  const app = new Hono<CommandsEnv>();
  const now = deps.now ?? Date.now;
  const flowTtlMs = deps.flowTtlMs ?? DEFAULT_TTL_SECONDS * 1000;
  const outcomes = () => {
    if (!deps.outcomes) throw new CodedError("not_found", "login outcomes are not kept by this command service");
    return deps.outcomes;
  };

  app.get("/organizations/:id/health", read, async (c) => {
    const id = organizationIdParam(c.req.param("id"));
    const query = queryParams(c.req.url, ["since"]);
    const at = now();
    const since = sinceParam(query.since, at);
    const history = await deps.store.readStream(streamIdOf(id));
    if (history.length === 0) throw new CodedError("organization_not_found", `organization ${id} does not exist`);
    const migration = history.findLast((e) => e.type === "OrganizationMigrated");
    const rows = await outcomes().read({ organizationId: id, sinceMinute: minuteOf(since.getTime()) });
    const state = fold(history);
    const split = migration ? minuteOf(Date.parse(migration.recordedAt)) : null;
    const report = (part: readonly StoredOutcome[]) => providerHealth(part, at, flowTtlMs);
    const from = migration?.type === "OrganizationMigrated" ? migration.data.from : null;
    const isBefore = (r: StoredOutcome) => r.minute < split! || (r.minute === split && r.provider === from);
    return c.json({
      organizationId: id,
      provider: state.status === "registered" ? state.provider : null,
      since: since.toISOString(),
      providers: report(rows),
      lastFailures: lastFailures(rows),
      lastMigration: migration
        ? {
            at: migration.recordedAt,
            position: migration.position,
            from: migration.type === "OrganizationMigrated" ? migration.data.from : null,
            to: migration.type === "OrganizationMigrated" ? migration.data.to : null,
            // Flows are counted by the minute they started: in the migration's own minute, those on the old provider were before it.
            before: report(rows.filter((r) => isBefore(r))),
            after: report(rows.filter((r) => !isBefore(r))),
          }
        : null,
    });
  });

  app.get("/health", read, async (c) => {
    const query = queryParams(c.req.url, ["since", "limit"]);
    const at = now();
    const since = sinceParam(query.since, at);
    const limit = positiveInt("limit", query.limit, 20, 1000);
    const rows = await outcomes().read({ sinceMinute: minuteOf(since.getTime()) });
    const byOrganization = new Map<string, StoredOutcome[]>();
    for (const row of rows) {
      if (row.organizationId === null) continue;
      const list = byOrganization.get(row.organizationId) ?? [];
      list.push(row);
      byOrganization.set(row.organizationId, list);
    }
    const organizations = [...byOrganization].map(([organizationId, list]) => {
      const providers = providerHealth(list, at, flowTtlMs);
      const total = (k: "started" | "succeeded" | "failed" | "abandoned") => providers.reduce((n, p) => n + p[k], 0);
      const finished = total("succeeded") + total("failed") + total("abandoned");
      return { organizationId, started: total("started"), succeeded: total("succeeded"), failed: total("failed"), abandoned: total("abandoned"), successRate: finished === 0 ? null : +(total("succeeded") / finished).toFixed(4), providers };
    });
    // Worst first: lowest success rate, then most failures; organizations with nothing finished last.
    organizations.sort((a, b) => (a.successRate ?? 2) - (b.successRate ?? 2) || b.failed - a.failed || a.organizationId.localeCompare(b.organizationId));
    const served = await outcomes().organizationsByProvider();
    const providers = providerHealth(rows, at, flowTtlMs).map((p) => ({ ...p, organizations: served.get(p.provider) ?? 0 }));
    for (const [provider, n] of served) if (!providers.some((p) => p.provider === provider)) providers.push({ ...emptyHealth(provider), organizations: n });
    return c.json({ since: since.toISOString(), providers, organizations: organizations.slice(0, limit) });
  });

  return app;
}

/** `since` (ISO 8601 with a zone, or a date), by default the last day; minutes are all outcomes keep. */
function sinceParam(value: string | undefined, now: number): Date {
  const exact = exactTimeParam("since", value);
  return exact ? new Date(exact) : new Date(now - DAY_MS);
}
