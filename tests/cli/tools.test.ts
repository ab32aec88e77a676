import { describe, expect, test } from "bun:test";
import { ssomig } from "./support.ts";

/** `ssomig saml ...` through the real binary, its arguments parsed by commander like every other command. */
describe("npx ssomig saml", () => {
  test("sample piped into inspect - names the issuer it was given", async () => {
    const sample = await ssomig(["saml", "sample", "--issuer", "http://www.okta.com/exkpiped"], {});
    expect(sample.code).toBe(0);
    const inspected = await ssomig(["saml", "inspect", "-"], {}, sample.stdout);
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.stdout)).toMatchObject({ type: "Response", issuer: "http://www.okta.com/exkpiped" });
  });

  test("inspect of a file it cannot read answers one JSON error line and exits 2; without a file it is a usage error", async () => {
    const missing = await ssomig(["saml", "inspect", "/nonexistent/response.xml"], {});
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toEqual({ error: { code: "file_not_found", detail: "cannot read /nonexistent/response.xml" } });
    const usage = await ssomig(["saml", "inspect"], {});
    expect(usage.code).toBe(2);
    expect(usage.stderr.split("\n")[0]).toBe("ssomig: missing required argument 'file'");
  });
});

describe("npx ssomig demo-upstreams", () => {
  test("serves both demo providers on the ports asked for (0: any) until Ctrl-C; a bad port is a usage error", async () => {
    const child = Bun.spawn([process.execPath, new URL("../../cli/ssomig.ts", import.meta.url).pathname, "demo-upstreams", "--legacy-port", "0", "--target-port", "0"], { stdout: "pipe", stderr: "pipe" });
    try {
      const reader = child.stdout.getReader();
      let text = "";
      while (!text.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      const [legacy, target] = [...text.matchAll(/http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => `http://127.0.0.1:${m[1]}`);
      expect(((await (await fetch(`${legacy}/authorize`)).json()) as { provider: string }).provider).toBe("legacy");
      expect(((await (await fetch(`${target}/authorize`)).json()) as { provider: string }).provider).toBe("target");
      child.kill("SIGINT");
      expect(await child.exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
    expect(await ssomig(["demo-upstreams", "--legacy-port", "70000"], {})).toMatchObject({ code: 2, stderr: "ssomig: --legacy-port must be a port number (0 to 65535), got 70000" });
  });
});
