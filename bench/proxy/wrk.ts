import { join } from "node:path";

export type WrkResult = { rps: number; p50: number; p99: number; errors: number };

/** One request of the mix, as wrk's Lua would send it. */
export type MixRequest = { method: string; path: string; headers: Record<string, string>; body?: string };

/** A wrk Lua script that cycles through the mix (one request of each kind in turn). */
export function mixScript(dir: string, mix: MixRequest[]): string {
  const long = (s: string) => `[==[${s}]==]`;
  const entries = mix.map((r) => `wrk.format(${long(r.method)}, ${long(r.path)}, {${Object.entries(r.headers).map(([k, v]) => `[ ${long(k)} ] = ${long(v)}`).join(", ")}}, ${r.body === undefined ? "nil" : long(r.body)})`);
  const lua = `local reqs = {}\ninit = function(args)\n${entries.map((e, i) => `  reqs[${i + 1}] = ${e}`).join("\n")}\nend\nlocal i = 0\nrequest = function()\n  i = i % ${mix.length} + 1\n  return reqs[i]\nend\n`;
  const file = join(dir, "mix.lua");
  Bun.write(file, lua);
  return file;
}

const UNIT: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };
const millis = (value: string) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  return m ? Number(m[1]) * UNIT[m[2]!]! : Number.NaN;
};

/** Runs wrk against `url` and reads requests/s and the 50th/99th latency percentiles (ms). */
export async function wrk(url: string, options: { connections: number; seconds: number; script: string }): Promise<WrkResult> {
  const child = Bun.spawn(["wrk", "-t1", `-c${options.connections}`, `-d${Math.round(options.seconds)}s`, "--latency", "-s", options.script, url], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  // wrk runs plain GET / when its script fails to load: treat any script error as fatal.
  if (code !== 0 || err.trim() !== "") throw new Error(`wrk failed (${code}): ${out}${err}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = millis(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? "");
  const p99 = millis(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? "");
  const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors:.*?(\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p50, p99, errors };
}

export async function haveWrk(): Promise<boolean> {
  return Bun.spawn(["sh", "-c", "command -v wrk"], { stdout: "ignore" }).exited.then((c) => c === 0);
}
