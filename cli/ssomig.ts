#!/usr/bin/env bun
import { readFile } from "node:fs/promises";
import process from "node:process";
import { strictUtf8 } from "./utf8.ts";
import { runCli } from "./program.ts";

// The only file that touches the process: arguments, environment, streams, signals.
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
  write: (text) => process.stdout.write(text),
  writeErr: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
  readFile: async (path) => strictUtf8(await readFile(path)),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return strictUtf8(Buffer.concat(chunks));
  },
  fetch: (url, init) => fetch(url, init),
  interrupted: () => new Promise<void>((resolve) => process.once("SIGINT", () => resolve()).once("SIGTERM", () => resolve())),
});
