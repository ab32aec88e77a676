import type { CommandModule } from "../../context.ts";
import { events } from "./events.ts";
import { health } from "./health.ts";
import { list } from "./list.ts";
import { migrate, rollback } from "./move.ts";
import { preflight } from "./preflight.ts";
import { register } from "./register.ts";
import { show } from "./show.ts";
import { tag } from "./tag.ts";

/** `ssomig orgs ...`: one file per subcommand; a new one is a file here and an entry in this list. */
const SUBCOMMANDS: readonly CommandModule[] = [list, show, register, tag, preflight, migrate, rollback, events, health];

export const orgs: CommandModule = (program, ctx) => {
  const group = program.command("orgs").description("organizations: list, show, register, tag, preflight, migrate, roll back, history, login health");
  for (const add of SUBCOMMANDS) add(group, ctx);
};
