import { withJson, json, type CommandModule } from "../../context.ts";
import { printWave, waveEventTable, waveListTable, type WaveEventJson, type WaveJson, type WaveSummaryJson } from "./wave-json.ts";

export const wavePath = (id: string, action = "") => `/v1/waves/${encodeURIComponent(id)}${action}`;

/** `ssomig waves list`: every wave, newest state first as the API lists them. */
export const list: CommandModule = (waves, ctx) =>
  withJson(waves.command("list").description("list waves: id, name, status, provider, organizations, batches done")).action(async (options: { json?: boolean }) => {
    const answer: { waves: WaveSummaryJson[] } = await ctx.api().json("GET", "/v1/waves");
    if (options.json) return ctx.io.out(json(answer));
    if (answer.waves.length === 0) return ctx.io.out("no waves");
    for (const line of waveListTable(answer.waves)) ctx.io.out(line);
  });

/** `ssomig waves show ID`: progress, the batch soaking, pauses with their reasons. */
export const show: CommandModule = (waves, ctx) =>
  withJson(waves.command("show").description("one wave's progress: batches done, organizations per state, the batch soaking, pauses and why").argument("<id>", "the wave id"))
    .action(async (id: string, options: { json?: boolean }) => {
      const wave: WaveJson = await ctx.api().json("GET", wavePath(id));
      if (options.json) return ctx.io.out(json(wave));
      printWave(ctx.io.out, wave);
    });

/** `ssomig waves events ID`: the wave's whole history. */
export const events: CommandModule = (waves, ctx) =>
  withJson(waves.command("events").description("one wave's whole history: planned, each batch started and soaked, pauses, resumes, the end").argument("<id>", "the wave id"))
    .action(async (id: string, options: { json?: boolean }) => {
      const history: { waveId: string; events: WaveEventJson[] } = await ctx.api().json("GET", wavePath(id, "/events"));
      if (options.json) return ctx.io.out(json(history));
      for (const line of waveEventTable(history.events)) ctx.io.out(line);
    });
