#!/usr/bin/env bun
import { readFile } from "node:fs/promises";
import process from "node:process";
import { runCli } from "./program.ts";

// The only file that touches the process: arguments, environment, streams, signals.
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
  write: (text) => process.stdout.write(text),
  writeErr: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
  readFile: (path) => readFile(path, "utf8"),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
  fetch: (url, init) => fetch(url, init),
  interrupted: () => new Promise<void>((resolve) => process.once("SIGINT", () => resolve()).once("SIGTERM", () => resolve())),
});
