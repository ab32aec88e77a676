import { Option } from "commander";
import { positiveIntOption, withJson, json, type CommandModule } from "../../context.ts";
import { CliFailure, EXIT } from "../../exit-codes.ts";
import { printWave, type WaveJson } from "./wave-json.ts";

type PlanOptions = { name: string; id?: string; to?: string; org?: string[]; tag?: string[]; provider?: string; batchSize: number; soakMinutes: number; minSuccessRate?: number; guard: boolean; json?: boolean };

const repeat = (value: string, previous: string[] = []) => [...previous, value];

/** A whole number of minutes from 0 (no soak) up; the API checks the upper bound. */
function soakMinutes(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new CliFailure(EXIT.usage, `--soak-minutes must be a whole number of minutes (0 or more), got ${JSON.stringify(text)}`);
  return n;
}

/** `95` or `95%` or `0.95`: a success rate from 0 to 1. */
function successRate(text: string): number {
  const trimmed = text.trim();
  const n = Number(trimmed.replace(/%$/, ""));
  const rate = trimmed.endsWith("%") || n > 1 ? n / 100 : n;
  if (trimmed === "" || !Number.isFinite(n) || rate < 0 || rate > 1) throw new CliFailure(EXIT.usage, `--min-success-rate takes a rate from 0 to 1 or a percentage (95%), got ${JSON.stringify(text)}`);
  return rate;
}

/**
 * `ssomig waves plan --name NAME (--org ID ... | --tag T ... [--provider P]) --batch-size N --soak-minutes M`:
 * the API freezes the selection in order; the runner then moves it batch by batch.
 */
export const plan: CommandModule = (waves, ctx) =>
  withJson(waves.command("plan").description("plan a wave: the organizations (by id, or selected by tag and provider), frozen in order, then moved batch by batch, each soaking under the guard"))
    .requiredOption("--name <name>", "what operators call it")
    .option("--id <id>", "the wave's id (1-63 of a-z 0-9 - _; default: the API makes one)")
    .option("--to <provider>", "the provider to move to (default: the target provider)")
    .addOption(new Option("--org <id>", "an organization, in the order given (repeat); not with --tag/--provider").argParser(repeat))
    .addOption(new Option("--tag <tag>", "select organizations carrying this tag (repeat: all of them), e.g. tier:enterprise").argParser(repeat))
    .option("--provider <id>", "select organizations on this provider")
    .requiredOption("--batch-size <n>", "organizations per batch (1-1000)", positiveIntOption("--batch-size"))
    .requiredOption("--soak-minutes <m>", "how long each batch soaks before the next starts (0-10080)", soakMinutes)
    .option("--min-success-rate <rate>", "pause when a batch's login success rate is below this (0.95 or 95%; default 95%)", successRate)
    .option("--no-guard", "never pause on the login success rate (a rollback in a batch, by the guard or anyone, still pauses the wave)")
    .action(async (options: PlanOptions) => {
      const selects = options.tag !== undefined || options.provider !== undefined;
      if (options.org && selects) throw new CliFailure(EXIT.usage, "give --org, or --tag/--provider, not both");
      if (!options.org && !selects) throw new CliFailure(EXIT.usage, "say which organizations: --org ID (repeat), or --tag TAG (repeat) and/or --provider ID");
      if (!options.guard && options.minSuccessRate !== undefined) throw new CliFailure(EXIT.usage, "give --min-success-rate or --no-guard, not both");
      const guard = !options.guard ? { minSuccessRate: 0 } : options.minSuccessRate !== undefined ? { minSuccessRate: options.minSuccessRate } : undefined;
      const body = {
        name: options.name,
        ...(options.id !== undefined ? { id: options.id } : {}),
        ...(options.to !== undefined ? { to: options.to } : {}),
        ...(options.org ? { organizations: options.org } : { selector: { ...(options.provider !== undefined ? { provider: options.provider } : {}), ...(options.tag ? { tags: options.tag } : {}) } }),
        batchSize: options.batchSize,
        soakMinutes: options.soakMinutes,
        ...(guard ? { guard } : {}),
      };
      const wave: WaveJson = await ctx.api().json("POST", "/v1/waves", { body });
      if (options.json) return ctx.io.out(json(wave));
      ctx.io.out(`planned wave ${wave.id}: ${wave.organizations.total} organizations to ${wave.to} in ${wave.batches.total} batches (the runner starts it within seconds)`);
      printWave(ctx.io.out, wave);
    });
