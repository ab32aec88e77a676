import type { Command } from "commander";
import { withJson, json, type CliContext, type CommandModule } from "../../context.ts";
import { wavePath } from "./read.ts";
import { printWave, type WaveJson } from "./wave-json.ts";

function controlCommand(waves: Command, ctx: CliContext, action: "pause" | "resume" | "abort", description: string): Command {
  return withJson(waves.command(action).description(description).argument("<id>", "the wave id"))
    .requiredOption("--reason <text>", "why (recorded in the wave's history; the API requires it)")
    .action(async (id: string, options: { reason: string; rollback?: boolean; json?: boolean }) => {
      const body = { reason: options.reason, ...(action === "abort" ? { rollBack: options.rollback === true } : {}) };
      const wave: WaveJson = await ctx.api().json("POST", wavePath(id, `/${action}`), { body });
      if (options.json) return ctx.io.out(json(wave));
      ctx.io.out(`wave ${wave.id} is ${wave.status}`);
      printWave(ctx.io.out, wave);
    });
}

/** `ssomig waves pause ID --reason TEXT`. */
export const pause: CommandModule = (waves, ctx) => controlCommand(waves, ctx, "pause", "pause a wave: the runner migrates nothing and starts no batch until it is resumed");

/** `ssomig waves resume ID --reason TEXT`. */
export const resume: CommandModule = (waves, ctx) => controlCommand(waves, ctx, "resume", "resume a paused wave (after a guard pause: once you know why the batch failed)");

/** `ssomig waves abort ID --reason TEXT [--rollback]`. */
export const abort: CommandModule = (waves, ctx) =>
  controlCommand(waves, ctx, "abort", "stop a wave for good; with --rollback, every organization it migrated goes back (as commands with actor and reason)").option(
    "--rollback",
    "roll back every organization the wave migrated that is still on the wave's provider",
  );
