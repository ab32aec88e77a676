#!/usr/bin/env bun
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { dataDir, env } from "../services/settings.ts";
import { runToken } from "./token.ts";

const USAGE = `usage: ssomig <command>

  token [--scope S[,S]] [--sub NAME] [--ttl 1h]   mint an API token from the development secret
                                                  (AUTH_SECRET, else DATA_DIR/auth.secret)
  saml inspect FILE|-                             explain a SAML message: type, issuer, and why it routes where it does`;

const out = (line: string) => process.stdout.write(line + "\n");
const err = (line: string) => process.stderr.write(line + "\n");

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "token":
      return runToken(rest, {
        readSecret: async () => env("AUTH_SECRET") ?? (await readFile(join(dataDir(), "auth.secret"), "utf8").then((s) => s.trim(), () => undefined)),
        out,
        err,
      });
    case "saml": {
      if (rest[0] !== "inspect") break;
      const { runSamlInspect } = await import("./saml-inspect.ts");
      return runSamlInspect(rest.slice(1), {
        readFile: (path) => readFile(path, "utf8"),
        readStdin: async () => {
          const chunks: Buffer[] = [];
          for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
          return Buffer.concat(chunks).toString("utf8");
        },
        out,
      });
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      out(USAGE);
      return command === undefined ? 2 : 0;
  }
  err(`ssomig: unknown command ${argv.join(" ")}\n\n${USAGE}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
