import { Command, CommanderError } from "commander";
import { CliFailure, EXIT } from "./exit-codes.ts";

type Output = { write(text: string): void; writeErr(text: string): void };

/**
 * Commander set up the way every `ssomig` command wants it: it throws instead of exiting (the
 * caller turns that into an exit code), and its errors read `ssomig: <what is wrong>`.
 * Subcommands created with `.command()` inherit these settings.
 */
export function configure(program: Command, output: Output): Command {
  return program
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.write(text),
      writeErr: (text) => output.writeErr(text),
      outputError: (text, write) => write(`ssomig: ${text.replace(/^error: /, "")}`),
    })
    .showHelpAfterError("(add --help for usage)");
}

/** The exit code of whatever a parse threw; prints a CliFailure's message as one line. */
export function exitCodeOf(error: unknown, err: (line: string) => void): number {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT.ok;
    return EXIT.usage; // commander has printed what was wrong
  }
  if (error instanceof CliFailure) {
    err(`ssomig: ${error.message}`);
    return error.exitCode;
  }
  err(`ssomig: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT.internal;
}

/** Runs one command module on its own (tests call `runRouteToken(args, io)` without the whole CLI). */
export async function runStandalone(name: string, add: (program: Command, setExit: (code: number) => void) => void, args: string[], io: { out(line: string): void; err(line: string): void }): Promise<number> {
  let code: number = EXIT.ok;
  const program = configure(new Command("ssomig"), { write: (t) => io.out(t.replace(/\n$/, "")), writeErr: (t) => io.err(t.replace(/\n$/, "")) });
  add(program, (c) => (code = c));
  try {
    await program.parseAsync([name, ...args], { from: "user" });
    return code;
  } catch (error) {
    return exitCodeOf(error, io.err);
  }
}
