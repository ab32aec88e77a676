import type { Command } from "commander";
import { apiClient, newIdempotencyKey, type ApiClient } from "./api-client.ts";
import { loadCliSettings, type CliSettings } from "./cli-settings.ts";
import { CliFailure, EXIT } from "./exit-codes.ts";
import { ConfigError } from "../shared/errors.ts";

/** What the commands need from their process; `ssomig.ts` passes the real one, tests may pass their own. */
export type CliIo = {
  env: Record<string, string | undefined>;
  out(line: string): void;
  err(line: string): void;
  /** Text without a newline (help, progress). */
  write(text: string): void;
  writeErr(text: string): void;
  /** Whether stdout is a terminal: progress bars only then. */
  isTTY: boolean;
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  /** Resolves on Ctrl-C or SIGTERM (`events --follow`, `demo-upstreams`). */
  interrupted(): Promise<void>;
};

export type CliContext = {
  io: CliIo;
  /** Read on first use, so `--help` and `token` work whatever SSOMIG_API_URL holds. */
  settings(): CliSettings;
  api(): ApiClient;
  exitCode: number;
};

/** One `ssomig` command: it adds itself (and its subcommands) to `parent`. */
export type CommandModule = (parent: Command, ctx: CliContext) => void;

export function cliContext(io: CliIo): CliContext {
  let settings: CliSettings | undefined;
  let api: ApiClient | undefined;
  const ctx: CliContext = {
    io,
    exitCode: EXIT.ok,
    settings() {
      try {
        return (settings ??= loadCliSettings(io.env));
      } catch (error) {
        if (error instanceof ConfigError) throw new CliFailure(EXIT.config, `configuration error: ${error.message}`);
        throw error;
      }
    },
    api: () => (api ??= apiClient(ctx.settings(), io.fetch)),
  };
  return ctx;
}

/** `--json` on a command that prints data. */
export const withJson = (command: Command): Command => command.option("--json", "print JSON (for scripts) instead of a table");

/** `--idempotency-key` on a write; without it each run generates one (the CLI's own retries reuse it). */
export const withIdempotencyKey = (command: Command): Command =>
  command.option("--idempotency-key <key>", "send this Idempotency-Key (default: a fresh one per run); a retry with the same key and arguments never applies twice");

export const idempotencyKey = (options: { idempotencyKey?: string }): string => options.idempotencyKey ?? newIdempotencyKey();

export const json = (value: unknown): string => JSON.stringify(value, null, 2);

/** An option's parser for a positive whole number (`--limit 20`); anything else is a usage error. */
export const positiveIntOption =
  (name: string) =>
  (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new CliFailure(EXIT.usage, `${name} must be a positive integer, got ${JSON.stringify(text)}`);
    return n;
  };
