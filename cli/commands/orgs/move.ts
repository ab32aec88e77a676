import type { Command } from "commander";
import { idempotencyKey, withIdempotencyKey, withJson, json, type CliContext, type CommandModule } from "../../context.ts";

type Moved = { id: string; provider: string; version: number; position: number };
type MoveOptions = { reason: string; to?: string; json?: boolean; idempotencyKey?: string };

function moveCommand(orgs: Command, ctx: CliContext, name: "migrate" | "rollback", description: string): Command {
  return withIdempotencyKey(withJson(orgs.command(name).description(description).argument("<id>", "the organization id")))
    .requiredOption("--reason <text>", "why (recorded with the event; the API requires it)")
    .action(async (id: string, options: MoveOptions) => {
      const body = { reason: options.reason, ...(options.to !== undefined ? { to: options.to } : {}) };
      const moved: Moved = await ctx.api().json("POST", `/v1/organizations/${encodeURIComponent(id)}/${name}`, { body, idempotencyKey: idempotencyKey(options) });
      if (options.json) return ctx.io.out(json(moved));
      ctx.io.out(`${moved.id} is on ${moved.provider} (version ${moved.version}, log position ${moved.position})`);
    });
}

/** `ssomig orgs migrate ID --reason TEXT [--to PROVIDER]`. */
export const migrate: CommandModule = (orgs, ctx) =>
  moveCommand(orgs, ctx, "migrate", "move an organization's traffic to another provider (default: the target)").option("--to <provider>", "the provider to move to (default: the target provider)");

/** `ssomig orgs rollback ID --reason TEXT`. */
export const rollback: CommandModule = (orgs, ctx) => moveCommand(orgs, ctx, "rollback", "send an organization back to the provider it was on before its last migration");
