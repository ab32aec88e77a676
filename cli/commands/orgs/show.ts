import type { OrganizationJson } from "../../api-client.ts";
import { withJson, json, type CommandModule } from "../../context.ts";
import { CliFailure, EXIT } from "../../exit-codes.ts";
import { cell, fields, table } from "../../output.ts";

/** `ssomig orgs show ID [--at POSITION | --as-of TIME]`: one organization, now or at a point in the log. */
export const show: CommandModule = (orgs, ctx) =>
  withJson(orgs.command("show").description("show one organization: provider, where a rollback goes, identifiers").argument("<id>", "the organization id"))
    .option("--at <position>", "its state as of this log position")
    .option("--as-of <time>", "its state as of this ISO 8601 time (e.g. 2026-01-31T12:00:00Z)")
    .action(async (id: string, options: { at?: string; asOf?: string; json?: boolean }) => {
      if (options.at !== undefined && options.asOf !== undefined) throw new CliFailure(EXIT.usage, "give --at or --as-of, not both");
      const query = new URLSearchParams();
      if (options.at !== undefined) query.set("at", options.at);
      if (options.asOf !== undefined) query.set("asOf", options.asOf);
      const suffix = query.size > 0 ? `?${query}` : "";
      const org: OrganizationJson = await ctx.api().json("GET", `/v1/organizations/${encodeURIComponent(id)}${suffix}`);
      if (options.json) return ctx.io.out(json(org));
      printOrganization(ctx.io.out, org);
    });

export function printOrganization(out: (line: string) => void, org: OrganizationJson): void {
  const lines = fields([
    ["id", org.id],
    ["name", cell(org.name)],
    ["provider", org.provider],
    ["rollback to", org.rollbackTo ?? "- (never migrated)"],
    ["tags", org.tags.join(", ") || "-"],
    ["version", String(org.version)],
    ["position", String(org.position)],
    ...(org.updatedAt ? ([["updated", org.updatedAt]] as const) : []),
    ...(org.asOf ? ([["as of", `position ${org.asOf.position}, ${org.asOf.recordedAt}`]] as const) : []),
  ]);
  for (const line of lines) out(line);
  out("");
  if (org.identifiers.length === 0) return out("no identifiers");
  for (const line of table(["KIND", "VALUE"], org.identifiers.map((i) => [i.kind, i.value]))) out(line);
}
