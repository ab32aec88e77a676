import { describe, expect, test } from "bun:test";

/** A stray driver error must not take a service down; a stray bug still must. Each case is its own process. */
async function run(kind: string): Promise<{ code: number; output: string }> {
  const child = Bun.spawn([process.execPath, new URL("../support/stray-error-script.ts", import.meta.url).pathname, kind], { stdout: "pipe", stderr: "pipe" });
  const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { code, output: stdout + stderr };
}

describe("errors thrown outside any request", () => {
  test.each(["connection", "connection-rejection"])("a database connection error (%s) is logged and the service keeps serving", async (kind) => {
    const { code, output } = await run(kind);
    expect(code).toBe(0);
    expect(output).toContain("database connection error outside any request");
    expect(output).toContain("still serving");
  });

  test("anything else ends the process with exit 70, logged", async () => {
    const { code, output } = await run("bug");
    expect(code).toBe(70);
    expect(output).toContain("unhandled error; exiting");
    expect(output).not.toContain("still serving");
  });
});
