import { Option } from "commander";
import { ApiRefusal, type OrganizationJson } from "../../api-client.ts";
import { withJson, json, type CommandModule } from "../../context.ts";
import { CliFailure, EXIT } from "../../exit-codes.ts";

const repeat = (tag: string, previous: string[] = []) => [...previous, tag];
/** A concurrent change between the read and the write is retried this many times against the new tags. */
const ATTEMPTS = 3;

/**
 * `ssomig orgs tag ID [--add TAG ...] [--remove TAG ...]`. The API replaces an organization's tags
 * (`PUT /v1/organizations/{id}/tags`), so this reads them, changes them, and writes them back only
 * to the version it read (If-Match): a change made in between is never lost, the edit is redone on it.
 */
export const tag: CommandModule = (orgs, ctx) =>
  withJson(orgs.command("tag").description("add or remove an organization's tags (waves select organizations by them)").argument("<id>", "the organization id"))
    .addOption(new Option("--add <tag>", "a tag to add (repeat): free-form (beta) or key:value (tier:enterprise)").argParser(repeat))
    .addOption(new Option("--remove <tag>", "a tag to remove (repeat)").argParser(repeat))
    .action(async (id: string, options: { add?: string[]; remove?: string[]; json?: boolean }) => {
      if (!options.add && !options.remove) throw new CliFailure(EXIT.usage, "say what to change: --add TAG and/or --remove TAG");
      const path = `/v1/organizations/${encodeURIComponent(id)}`;
      for (let attempt = 1; ; attempt++) {
        const current: OrganizationJson = await ctx.api().json("GET", path);
        const tags = [...new Set([...current.tags.filter((t) => !options.remove?.includes(t)), ...(options.add ?? [])])];
        try {
          const updated: OrganizationJson = await ctx.api().json("PUT", `${path}/tags`, { body: { tags }, ifMatch: `"${current.version}"` });
          if (options.json) return ctx.io.out(json(updated));
          return ctx.io.out(`${updated.id} tags: ${updated.tags.join(", ") || "(none)"} (version ${updated.version})`);
        } catch (error) {
          if (!(error instanceof ApiRefusal && error.code === "version_conflict" && attempt < ATTEMPTS)) throw error;
        }
      }
    });
