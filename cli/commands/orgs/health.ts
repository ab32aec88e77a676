import { withJson, json, type CommandModule } from "../../context.ts";
import { providerTable, type OrganizationHealthJson } from "../../health-rows.ts";
import { fields, table } from "../../output.ts";

/** `ssomig orgs health ID [--since TIME]`: can this organization's users log in, before and after its last migration? */
export const health: CommandModule = (orgs, ctx) =>
  withJson(orgs.command("health").description("login health of one organization per provider, before and after its last migration, and its last failures").argument("<id>", "the organization id"))
    .option("--since <time>", "count logins started at or after this ISO 8601 time (default: the last 24 hours)")
    .action(async (id: string, options: { since?: string; json?: boolean }) => {
      const query = options.since === undefined ? "" : `?${new URLSearchParams({ since: options.since })}`;
      const report: OrganizationHealthJson = await ctx.api().json("GET", `/v1/organizations/${encodeURIComponent(id)}/health${query}`);
      if (options.json) return ctx.io.out(json(report));
      printOrganizationHealth(ctx.io.out, report);
    });

function printOrganizationHealth(out: (line: string) => void, report: OrganizationHealthJson): void {
  for (const line of fields([
    ["organization", report.organizationId],
    ["provider", report.provider ?? "-"],
    ["since", report.since],
  ]))
    out(line);
  out("");
  if (report.providers.length === 0) out("no logins seen since then");
  else for (const line of providerTable(report.providers)) out(line);
  const migration = report.lastMigration;
  if (migration) {
    out("");
    out(`last migration: ${migration.from ?? "?"} -> ${migration.to ?? "?"} at ${migration.at} (log position ${migration.position})`);
    for (const [label, part] of [["before", migration.before], ["after", migration.after]] as const) {
      out(`${label}:`);
      if (part.length === 0) out("  no logins");
      else for (const line of providerTable(part)) out(`  ${line}`);
    }
  }
  out("");
  if (report.lastFailures.length === 0) return out("no failures");
  out("last failures:");
  for (const line of table(["MINUTE", "PROVIDER", "CODE", "COUNT"], report.lastFailures.map((f) => [f.at, f.provider, f.code || "-", String(f.count)]))) out(`  ${line}`);
}
