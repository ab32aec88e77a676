import { positiveIntOption, withJson, json, type CommandModule } from "../context.ts";
import { providerTable, rate, type FleetHealthJson } from "../health-rows.ts";
import { table } from "../output.ts";

/** `ssomig health [--since TIME] [--limit N]`: the fleet's logins per provider, organizations worst first. */
export const health: CommandModule = (program, ctx) =>
  withJson(program.command("health").summary("login health of the fleet, worst organizations first").description("login health of the fleet: each provider, then the organizations ranked worst first (lowest success rate, then most failures)"))
    .option("--since <time>", "count logins started at or after this ISO 8601 time (default: the last 24 hours)")
    .option("--limit <n>", "at most this many organizations (default 20, at most 1000)", positiveIntOption("--limit"))
    .action(async (options: { since?: string; limit?: number; json?: boolean }) => {
      const query = new URLSearchParams();
      if (options.since !== undefined) query.set("since", options.since);
      if (options.limit !== undefined) query.set("limit", String(options.limit));
      const report: FleetHealthJson = await ctx.api().json("GET", `/v1/health${query.size > 0 ? `?${query}` : ""}`);
      if (options.json) return ctx.io.out(json(report));
      const out = ctx.io.out;
      out(`since: ${report.since}`);
      out("");
      if (report.providers.length === 0) out("no providers serve an organization yet");
      else for (const line of providerTable(report.providers, true)) out(line);
      out("");
      if (report.organizations.length === 0) return out("no logins seen since then");
      const rows = report.organizations.map((o) => [o.organizationId, o.providers.map((p) => p.provider).join(", "), String(o.started), String(o.succeeded), String(o.failed), String(o.abandoned), rate(o.successRate)]);
      for (const line of table(["ORG", "PROVIDERS", "STARTED", "SUCCEEDED", "FAILED", "ABANDONED", "SUCCESS"], rows)) out(line);
    });
