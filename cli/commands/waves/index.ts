import type { CommandModule } from "../../context.ts";
import { abort, pause, resume } from "./control.ts";
import { plan } from "./plan.ts";
import { events, list, show } from "./read.ts";

/** `ssomig waves ...`: one entry per subcommand. */
const SUBCOMMANDS: readonly CommandModule[] = [list, show, plan, pause, resume, abort, events];

export const waves: CommandModule = (program, ctx) => {
  const group = program.command("waves").description("waves: plan a guarded, batched migration of many organizations, watch it, pause, resume or abort it, read its history");
  for (const add of SUBCOMMANDS) add(group, ctx);
};
