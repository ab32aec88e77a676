/** @jsxImportSource hono/jsx */
import { Hono } from "hono";
import { LOG_START, type LogQuery } from "../../db/event-store.ts";
import { streamIdOf, type RecordedEvent } from "../../shared/events.ts";
import { minuteOf } from "../../shared/login-outcomes.ts";
import type { StoredOutcome } from "../../db/outcome-store.ts";
import type { ApiDispatch } from "../commands/app.ts";
import { providerHealth } from "../commands/health-report.ts";
import { exactTimeParam } from "../commands/exact-time.ts";
import { decodeCursor, encodeCursor, eventTypesParam, organizationIdParam } from "../commands/input.ts";
import { DEFAULT_TTL_SECONDS } from "../router/pin-cookie.ts";
import { grants } from "../commands/auth.ts";
import { chromeOf, render, requireConsoleScope, type ConsoleDeps, type ConsoleEnv } from "./app.tsx";
import { ApiRefusalPage } from "./organization.tsx";
import { OverviewPage, type OverviewData } from "./overview.tsx";
import { AuditPage, UnmatchedPage, type AuditQuery } from "./pages.tsx";

const HOUR_MS = 3600_000;
const RECENT = 15;
const AUDIT_PAGE = 50;

/** The read-only pages: overview, audit log (and its export), unmatched traffic. */
export function readPages(deps: ConsoleDeps, api: ApiDispatch) {
  const app = new Hono<ConsoleEnv>();
  const now = deps.now ?? Date.now;

  app.get("/", async (c) => render(c, <OverviewPage chrome={chromeOf(c, "/console")} data={await overview(deps, now())} />));

  app.get("/audit", async (c) => {
    const query: AuditQuery = { org: c.req.query("org") ?? "", type: c.req.query("type") ?? "", since: c.req.query("since") ?? "", until: c.req.query("until") ?? "" };
    // The API's own parameter checks: a bad value is refused with the same code and words.
    const logQuery: LogQuery = {
      after: decodeCursor(c.req.query("after") || undefined) ?? LOG_START,
      limit: AUDIT_PAGE,
      ...(query.org ? { streamId: streamIdOf(organizationIdParam(query.org)) } : {}),
      ...(query.type ? { types: eventTypesParam(query.type)! } : {}),
      ...(query.since ? { since: exactTimeParam("since", query.since)! } : {}),
      ...(query.until ? { until: exactTimeParam("until", query.until)! } : {}),
    };
    const page = await deps.store.readLog(logQuery);
    return render(c, <AuditPage chrome={chromeOf(c, "/console/audit")} events={page.events} next={page.hasMore ? encodeCursor(page.next) : null} query={query} />);
  });

  // The export is the API's own NDJSON stream of GET /v1/events, as the signed-in operator.
  app.get("/audit/export", async (c) => {
    const params = new URLSearchParams();
    for (const name of ["org", "type", "since", "until"]) if (c.req.query(name)) params.set(name, c.req.query(name)!);
    const answer = await api(new Request(`http://console.internal/v1/events${params.size ? `?${params}` : ""}`, { headers: { accept: "application/x-ndjson", "x-request-id": c.get("requestId") } }), c.get("principal"));
    if (!answer.ok) return answer;
    return new Response(answer.body, { headers: { "content-type": "application/x-ndjson", "content-disposition": 'attachment; filename="ssomigrate-audit.ndjson"', "cache-control": "no-store" } });
  });

  app.get("/unmatched", async (c) => {
    const rows = deps.unmatched ? await deps.unmatched.list({ limit: 200 }) : null;
    return render(c, <UnmatchedPage chrome={chromeOf(c, "/console/unmatched")} rows={rows} canWrite={grants(c.get("session").scopes, "migrations:write")} done={await linkedNotice(deps, c.req.query("linked"))} />);
  });

  // Linking an unmatched identifier is the API's POST /v1/organizations/{id}/identifiers, as the operator.
  app.post("/unmatched/link", requireConsoleScope("migrations:write"), async (c) => {
    const form = await c.req.parseBody();
    const text = (name: string) => (typeof form[name] === "string" ? (form[name] as string).trim() : "");
    const organization = text("organization");
    const key = text("idempotencyKey");
    const answer = await api(
      new Request(`http://console.internal/v1/organizations/${encodeURIComponent(organization)}/identifiers`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": c.get("requestId"), ...(key ? { "idempotency-key": key } : {}) },
        body: JSON.stringify({ kind: text("kind"), value: text("value") }),
      }),
      c.get("principal"),
    );
    const result = (await answer.json()) as Record<string, unknown>;
    if (!answer.ok) return render(c, <ApiRefusalPage chrome={chromeOf(c)} title="Not linked" code={String(result.code)} detail={String(result.detail)} back="/console/unmatched" />, answer.status);
    return c.redirect(`/console/unmatched?${new URLSearchParams({ linked: `${organization} ${text("kind")} ${text("value")}` })}`, 303);
  });
  return app;
}

/** "Linked ..." only when the organization does hold that identifier now: the notice repeats the projection, not the query. */
async function linkedNotice(deps: ConsoleDeps, linked: string | undefined): Promise<string | null> {
  const [organization, kind, ...value] = (linked ?? "").split(" ");
  if (!organization || !kind || value.length === 0) return null;
  const found = await deps.store.getOrganization(organization).catch(() => null);
  const identifier = found?.identifiers.find((i) => i.kind === kind && i.value === value.join(" "));
  return identifier ? `Linked ${identifier.kind} ${identifier.value} to ${found!.id}.` : null;
}

async function overview(deps: ConsoleDeps, at: number): Promise<OverviewData> {
  const { providers } = deps;
  const counts = await deps.store.countOrganizationsByProvider();
  const recent = await deps.store.readRecent(200);
  const dayAgo = new Date(at - 24 * HOUR_MS).toISOString();
  const rows = deps.outcomes ? await deps.outcomes.read({ sinceMinute: minuteOf(at - 24 * HOUR_MS) }) : [];
  return {
    byProvider: providers.ids.map((provider) => ({
      provider,
      organizations: counts.get(provider) ?? 0,
      role: provider === providers.defaultProvider ? "legacy" : provider === providers.defaultTarget ? "target" : "other",
    })),
    target: providers.defaultTarget,
    fleet: fleetHealth(rows, at, deps.flowTtlMs ?? DEFAULT_TTL_SECONDS * 1000),
    recent: recent.slice(0, RECENT),
    guardRollbacks: recent.filter((e: RecordedEvent) => e.type === "OrganizationRolledBack" && e.metadata.actor === "guard" && e.recordedAt >= dayAgo),
    unmatched: deps.unmatched ? await deps.unmatched.list({ limit: 5 }) : null,
    pausedWaves: await deps.store.listWaves({ status: ["paused"] }),
  };
}

/** Per provider, the success rate of each of the last 24 hours (the API's own fold of outcome rows), oldest first. */
function fleetHealth(rows: readonly StoredOutcome[], at: number, flowTtlMs: number): OverviewData["fleet"] {
  const firstHour = Math.floor(at / HOUR_MS) - 23;
  const byProvider = new Map<string, StoredOutcome[][]>();
  for (const row of rows) {
    const hour = Math.floor((row.minute * 60_000) / HOUR_MS) - firstHour;
    if (hour < 0 || hour > 23) continue;
    const hours = byProvider.get(row.provider) ?? Array.from({ length: 24 }, () => []);
    hours[hour]!.push(row);
    byProvider.set(row.provider, hours);
  }
  return [...byProvider].sort(([a], [b]) => a.localeCompare(b)).map(([provider, hours]) => {
    const day = providerHealth(hours.flat(), at, flowTtlMs)[0];
    return { provider, hourly: hours.map((h) => (h.length === 0 ? null : (providerHealth(h, at, flowTtlMs)[0]?.successRate ?? null))), day: day?.successRate ?? null, started: day?.started ?? 0 };
  });
}
