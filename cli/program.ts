import { readFileSync } from "node:fs";
import { Command } from "commander";
import { cliContext, type CliIo, type CommandModule } from "./context.ts";
import { events } from "./commands/events.ts";
import { health } from "./commands/health.ts";
import { importCommand } from "./commands/import.ts";
import { orgs } from "./commands/orgs/index.ts";
import { demoUpstreams, routeToken, saml, token } from "./commands/tools.ts";
import { unmatched } from "./commands/unmatched.ts";
import { waves } from "./commands/waves/index.ts";
import { configure, exitCodeOf } from "./parser.ts";

/** Every top-level command, in the order `--help` lists them; a new command is a module and an entry here. */
const COMMANDS: readonly CommandModule[] = [orgs, waves, events, health, unmatched, importCommand, token, routeToken, saml, demoUpstreams];

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

const ENVIRONMENT_HELP = `
Environment:
  SSOMIG_API_URL  the command API (default http://127.0.0.1:8081, the embedded default's)
  SSOMIG_TOKEN    a bearer token for it (default: the contents of DATA_DIR/admin.token)
  DATA_DIR        the embedded default's data directory (default .data)

Exit codes:
  0 done; 1 the API refused (its status and problem code are printed), an import left rows undone, or a preflight failed;
  2 usage error; 65 the import file is not valid (nothing sent); 69 the API is unreachable;
  70 internal error; 78 configuration (SSOMIG_API_URL, SSOMIG_TOKEN, no token file)`;

export function buildProgram(io: CliIo) {
  const ctx = cliContext(io);
  const program = configure(new Command("ssomig"), io)
    .description("ssomigrate's command line: organizations, migrations, waves, the audit log, login health, bulk import, tokens")
    .version(VERSION, "-V, --version", "print the version")
    .addHelpText("after", ENVIRONMENT_HELP);
  for (const add of COMMANDS) add(program, ctx);
  return { program, ctx };
}

/** Runs `ssomig ARGV...` and returns the exit code; errors are printed as one line on stderr. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const { program, ctx } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: "user" });
    return ctx.exitCode;
  } catch (error) {
    return exitCodeOf(error, io.err);
  }
}
