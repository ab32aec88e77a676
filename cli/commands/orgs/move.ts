import type { Command } from "commander";
import { idempotencyKey, withIdempotencyKey, withJson, json, type CliContext, type CommandModule } from "../../context.ts";

type Moved = { id: string; provider: string; version: number; position: number };
type MoveOptions = { reason: string; to?: string; requirePreflight?: boolean; guard?: boolean; json?: boolean; idempotencyKey?: string };

function moveCommand(orgs: Command, ctx: CliContext, name: "migrate" | "rollback", description: string): Command {
  return withIdempotencyKey(withJson(orgs.command(name).description(description).argument("<id>", "the organization id")))
    .requiredOption("--reason <text>", "why (recorded with the event; the API requires it)")
    .action(async (id: string, options: MoveOptions) => {
      const body = {
        reason: options.reason,
        ...(options.to !== undefined ? { to: options.to } : {}),
        ...(options.requirePreflight ? { requirePreflight: true } : {}),
        ...(options.guard === false ? { guard: false } : {}),
      };
      const moved: Moved = await ctx.api().json("POST", `/v1/organizations/${encodeURIComponent(id)}/${name}`, { body, idempotencyKey: idempotencyKey(options) });
      if (options.json) return ctx.io.out(json(moved));
      ctx.io.out(`${moved.id} is on ${moved.provider} (version ${moved.version}, log position ${moved.position})`);
    });
}

/** `ssomig orgs migrate ID --reason TEXT [--to PROVIDER] [--require-preflight] [--no-guard]`. */
export const migrate: CommandModule = (orgs, ctx) =>
  moveCommand(orgs, ctx, "migrate", "move an organization's traffic to another provider (default: the target)")
    .option("--to <provider>", "the provider to move to (default: the target provider)")
    .option("--require-preflight", "refuse (409 preflight_required) unless a recent passing preflight of the destination is in its log (see orgs preflight)")
    .option("--no-guard", "do not let the guard roll this migration back by itself when logins fail on the new provider");

/** `ssomig orgs rollback ID --reason TEXT`. */
export const rollback: CommandModule = (orgs, ctx) => moveCommand(orgs, ctx, "rollback", "send an organization back to the provider it was on before its last migration");
