import type { EventJson } from "../../api-client.ts";
import { withJson, json, type CommandModule } from "../../context.ts";
import { eventTable } from "../../event-rows.ts";

/** `ssomig orgs events ID`: one organization's whole history. */
export const events: CommandModule = (orgs, ctx) =>
  withJson(orgs.command("events").description("one organization's whole history: who did what, when and why").argument("<id>", "the organization id"))
    .action(async (id: string, options: { json?: boolean }) => {
      const history: { organizationId: string; events: EventJson[] } = await ctx.api().json("GET", `/v1/organizations/${encodeURIComponent(id)}/events`);
      if (options.json) return ctx.io.out(json(history));
      for (const line of eventTable(history.events)) ctx.io.out(line);
    });
