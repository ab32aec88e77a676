import { describe, expect, test } from "bun:test";
import { runtimeCommand, type Runtime } from "../support/processes.ts";
import { normalForms } from "./print-normal-forms.ts";

/** The API may run on one runtime and routers on another: they must agree on every spelling. */
describe("Bun, Node and Deno normalize identifiers identically", () => {
  for (const runtime of ["node", "deno"] as Runtime[]) {
    test(`${runtime} gives Bun's normal forms`, () => {
      const run = Bun.spawnSync(runtimeCommand(runtime, "tests/domain/print-normal-forms.ts"), {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", DENO_NO_UPDATE_CHECK: "1" },
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(run.stderr.toString()).toBe("");
      expect(JSON.parse(run.stdout.toString())).toEqual(normalForms());
    }, 60_000);
  }
});
