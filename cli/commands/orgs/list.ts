import { Option } from "commander";
import type { OrganizationJson } from "../../api-client.ts";
import { withJson, json, type CommandModule } from "../../context.ts";
import { CliFailure, EXIT } from "../../exit-codes.ts";
import { cell, table } from "../../output.ts";

const PAGE = 1000;

/** `ssomig orgs list [--provider P] [--tag T ...] [--limit N]`: every organization (page by page), or the first N. */
export const list: CommandModule = (orgs, ctx) =>
  withJson(orgs.command("list").description("list organizations: id, name, provider, tags, identifiers"))
    .option("--provider <id>", "only those on this provider")
    .addOption(new Option("--tag <tag>", "only those carrying this tag (repeat: all of them), e.g. tier:enterprise").argParser((tag: string, previous: string[] = []) => [...previous, tag]))
    .option("--limit <n>", "at most this many (default: all)")
    .action(async (options: { provider?: string; tag?: string[]; limit?: string; json?: boolean }) => {
      const limit = options.limit === undefined ? Infinity : Number(options.limit);
      if (limit !== Infinity && (!Number.isInteger(limit) || limit < 1)) throw new CliFailure(EXIT.usage, `--limit must be a positive integer, got ${options.limit}`);
      const found: OrganizationJson[] = [];
      let after: string | null = null;
      do {
        const query = new URLSearchParams({ limit: String(Math.min(PAGE, limit - found.length)) });
        if (options.provider) query.set("provider", options.provider);
        if (options.tag) query.set("tags", options.tag.join(","));
        if (after) query.set("after", after);
        const page: { organizations: OrganizationJson[]; next: string | null } = await ctx.api().json("GET", `/v1/organizations?${query}`);
        found.push(...page.organizations);
        after = page.next;
      } while (after !== null && found.length < limit);
      if (options.json) return ctx.io.out(json({ organizations: found }));
      if (found.length === 0) return ctx.io.out("no organizations");
      const rows = found.map((o) => [o.id, cell(o.name), o.provider, String(o.version), o.tags.join(",") || "-", o.identifiers.map((i) => `${i.kind}=${i.value}`).join(", ") || "-"]);
      for (const line of table(["ID", "NAME", "PROVIDER", "VERSION", "TAGS", "IDENTIFIERS"], rows)) ctx.io.out(line);
    });
