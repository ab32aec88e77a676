/**
 * What learned credential routes cost, beside the router as it was before them (the commit that
 * preceded them, extracted with `git archive` into a temp dir and run in the same process):
 * - router time per request, in process with an upstream that answers at once (no network):
 *   an authorize GET (answered by a redirect to a login page), the login's last redirect
 *   carrying a code to the app (recorded), a code exchange (looked up, its answer copied aside);
 * - time to first byte and to the last byte of a token response through a served router, over
 *   loopback, with a real upstream: the copy must not hold the client back.
 * The NATS rows use a real JetStream KV (NATS at TEST_NATS_URL or 127.0.0.1:4222), the lookup
 * made by another router than the one that learned (no local hit).
 *
 *   bun bench/credentials/run.ts [--iterations N] [--baseline <git ref>]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "nats";
import { parseConfig } from "../../shared/config.ts";
import { createRouterApp } from "../../services/router/app.ts";
import { createForwarder, type Fetch } from "../../services/router/forward.ts";
import { mergedJwks } from "../../services/router/merged-jwks.ts";
import { routerMetrics } from "../../services/router/metrics.ts";
import { pinCookies } from "../../services/router/pin-cookie.ts";
import { serve } from "../../services/runtime/serve.ts";
import { CREDENTIAL_KINDS, credentialHash, type CredentialRecord } from "../../services/bus/credential-record.ts";
import { inProcessCredentialRecord } from "../../services/bus/in-process-credential-record.ts";
import { natsCredentialRecord } from "../../services/bus/nats-credential-record.ts";
import { argNumber, fmt, percentile, table } from "../stats.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";
const TOKEN_JSON = JSON.stringify({ access_token: "a".repeat(43), refresh_token: "r".repeat(43), id_token: `eyJ${"x".repeat(600)}.${"y".repeat(300)}.${"z".repeat(342)}`, token_type: "Bearer", expires_in: 3600 });
const CONFIG = { publicUrl: "https://auth.example.com", providers: [{ id: "legacy", role: "legacy", origin: "http://127.0.0.1:1" }, { id: "target", role: "target", origin: "http://127.0.0.1:1" }] };
const routes = { providerOf: (id: string) => (id === "acme" ? "target" : undefined), organizationOf: (_: string, v: string) => (v === "acme.com" ? "acme" : undefined) };

type AppFactory = (options: { fetch: Fetch; publicUrl?: string; origins?: string; credentials?: CredentialRecord }) => { fetch(r: Request): Response | Promise<Response> };

/** The router app of the working tree or of the baseline commit (same dependencies, its own code). */
async function appFactory(root: string): Promise<AppFactory> {
  const load = (path: string) => import(join(root, path));
  const [{ createRouterApp: create }, { createForwarder: forwarder }, { mergedJwks: jwks }, { routerMetrics: metrics }, { pinCookies: pins }, { parseConfig: parse }] = await Promise.all(
    ["services/router/app.ts", "services/router/forward.ts", "services/router/merged-jwks.ts", "services/router/metrics.ts", "services/router/pin-cookie.ts", "shared/config.ts"].map(load),
  );
  return ({ fetch, origins, credentials }) => {
    const config = parse(origins ? { ...CONFIG, providers: CONFIG.providers.map((p) => ({ ...p, origin: origins })) } : CONFIG);
    return create({ config, routes, forward: forwarder({ publicUrl: config.publicUrl, fetch }), pins: pins("credentials-bench-secret-with-32-bytes-or-more", { providers: ["legacy", "target"] }), jwks: jwks([], fetch), metrics: metrics(), log: () => {}, accessLog: false, ...(credentials ? { credentials } : {}) });
  };
}

function extractBaseline(ref: string | null): { root: string; ref: string; cleanup(): void } {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  const commit = ref ?? `${git("log", "--diff-filter=A", "--format=%H", "--", "services/bus/credential-record.ts").split("\n").at(-1)}^`;
  const root = mkdtempSync(join(tmpdir(), "ssomig-bench-baseline-"));
  execFileSync("sh", ["-c", `git archive ${commit} services shared db cli | tar -x -C ${root}`], { cwd: ROOT });
  symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
  return { root, ref: git("rev-parse", "--short", commit), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** CPU µs (this process, user + system) and wall µs per request over `iterations`, after a warm-up. */
async function perRequest(app: { fetch(r: Request): Response | Promise<Response> }, make: (i: number) => Request, iterations: number): Promise<{ cpu: number; wall: number }> {
  for (let i = 0; i < 2000; i++) await (await app.fetch(make(i))).arrayBuffer();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await (await app.fetch(make(i))).arrayBuffer();
  const wall = ((performance.now() - started) * 1000) / iterations;
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / iterations, wall };
}

const form = (body: string) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "content-length": String(body.length) }, body });

/** In process, upstream answers at once: authorize (redirect to a login page), the code redirect, the exchange. */
async function cpuRows(factory: AppFactory, iterations: number, credentials?: CredentialRecord): Promise<{ cpu: number; wall: number }[]> {
  const fetch: Fetch = async (url) => {
    if (url.includes("/authorize")) return new Response(null, { status: 303, headers: { location: "/interaction/abc" } });
    if (url.includes("/resume")) return new Response(null, { status: 303, headers: { location: `https://app.example.com/cb?code=${crypto.randomUUID()}&state=s` } });
    return new Response(TOKEN_JSON, { headers: { "content-type": "application/json", "content-length": String(TOKEN_JSON.length) } });
  };
  const app = factory({ fetch, ...(credentials ? { credentials } : {}) });
  const codes: string[] = [];
  for (let i = 0; i < 64; i++) {
    const code = `code-${i}-${crypto.randomUUID()}`;
    codes.push(code);
    await credentials?.remember("code", await credentialHash(code), "target");
  }
  return [
    await perRequest(app, () => new Request("https://auth.example.com/authorize?client_id=app&login_hint=jane%40acme.com"), iterations),
    await perRequest(app, () => new Request("https://auth.example.com/auth/resume"), iterations),
    await perRequest(app, (i) => new Request("https://auth.example.com/oauth/token", form(`grant_type=authorization_code&code=${codes[i % codes.length]}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&client_id=app&client_secret=s`)), iterations),
  ];
}

/** Through a served router to a real upstream: ms to the response headers + first body byte, and to the last byte. */
async function tokenTtfb(factory: AppFactory, iterations: number): Promise<{ first: number[]; last: number[] }> {
  const upstream = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(TOKEN_JSON, { headers: { "content-type": "application/json" } }) });
  const app = factory({ fetch: (input, init) => globalThis.fetch(input, init), origins: `http://127.0.0.1:${upstream.port}` });
  const server = await serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  const first: number[] = [];
  const last: number[] = [];
  const body = `grant_type=refresh_token&refresh_token=${"r".repeat(43)}&client_id=app&client_secret=s`;
  try {
    for (let i = 0; i < iterations + 200; i++) {
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${server.port}/oauth/token`, form(body));
      const reader = response.body!.getReader();
      await reader.read();
      const firstAt = performance.now();
      while (!(await reader.read()).done);
      if (i >= 200) {
        first.push(firstAt - started);
        last.push(performance.now() - started);
      }
    }
  } finally {
    await server.close();
    upstream.stop(true);
  }
  return { first, last };
}

async function natsRecords(): Promise<{ learner: CredentialRecord; reader: CredentialRecord; close(): Promise<void> } | null> {
  try {
    const probe = await connect({ servers: NATS_URL, timeout: 1000, maxReconnectAttempts: 0 });
    await probe.close();
  } catch {
    return null;
  }
  const bucketPrefix = `ssomig-bench-${crypto.randomUUID().slice(0, 8)}`;
  const ttlMs = { code: 600_000, access_token: 600_000, refresh_token: 600_000 };
  const learner = natsCredentialRecord({ url: NATS_URL, bucketPrefix, ttlMs });
  const reader = natsCredentialRecord({ url: NATS_URL, bucketPrefix, ttlMs });
  for (let i = 0; i < 500 && !(learner.available() && reader.available()); i++) await new Promise((r) => setTimeout(r, 10));
  return {
    learner,
    reader,
    async close() {
      await learner.close();
      await reader.close();
      const nc = await connect({ servers: NATS_URL });
      const jsm = await nc.jetstreamManager();
      for (const kind of CREDENTIAL_KINDS) await jsm.streams.delete(`KV_${bucketPrefix}-${kind}`).catch(() => false);
      await nc.close();
    },
  };
}

/** A record that shares with another router: codes are learned by `learner`, looked up by `reader`. */
function split(learner: CredentialRecord, reader: CredentialRecord): CredentialRecord {
  return { kind: reader.kind, remember: learner.remember, issuerOf: reader.issuerOf, available: reader.available, close: async () => {} };
}

export async function credentialsBench(iterations = 20_000, baselineRef: string | null = null) {
  const baseline = extractBaseline(baselineRef);
  try {
    const before = await appFactory(baseline.root);
    const after = await appFactory(ROOT);
    // Alternated over three rounds, the fastest round kept: the machine's noise only ever adds time.
    const cpu = { before: [Infinity, Infinity, Infinity], inProcess: [Infinity, Infinity, Infinity], nats: null as { cpu: number; wall: number }[] | null };
    const keepFastest = (into: number[], round: { cpu: number }[]) => round.forEach((us, i) => (into[i] = Math.min(into[i]!, us.cpu)));
    for (let round = 0; round < 3; round++) {
      keepFastest(cpu.before, await cpuRows(before, iterations));
      keepFastest(cpu.inProcess, await cpuRows(after, iterations, inProcessCredentialRecord({ ttlMs: { code: 600_000, access_token: 600_000, refresh_token: 600_000 } })));
    }
    const nats = await natsRecords();
    if (nats) {
      try {
        cpu.nats = await cpuRows(after, Math.min(iterations, 5000), split(nats.learner, nats.reader));
      } finally {
        await nats.close();
      }
    }
    const ttfbIterations = Math.max(500, Math.floor(iterations / 10));
    // Alternated, twice each, so machine noise falls on both.
    const ttfb = { before: { first: [] as number[], last: [] as number[] }, after: { first: [] as number[], last: [] as number[] } };
    for (let round = 0; round < 2; round++) {
      for (const [name, factory] of [["before", before], ["after", after]] as const) {
        const { first, last } = await tokenTtfb(factory, ttfbIterations);
        ttfb[name].first.push(...first);
        ttfb[name].last.push(...last);
      }
    }
    return { baseline: baseline.ref, cpu, ttfb };
  } finally {
    baseline.cleanup();
  }
}

export function credentialsTables(result: Awaited<ReturnType<typeof credentialsBench>>): string {
  const labels = ["authorize GET (redirect to login page)", "login's last redirect, code to the app", "code exchange (authorization_code)"];
  const nats = result.cpu.nats;
  const cpu = table(
    ["request", `before (${result.baseline})`, "after, in-process", "after, NATS KV", "NATS KV wall µs"],
    labels.map((label, i) => [label, result.cpu.before[i]!.toFixed(1), result.cpu.inProcess[i]!.toFixed(1), nats ? nats[i]!.cpu.toFixed(1) : "no NATS", nats ? nats[i]!.wall.toFixed(1) : "-"]),
  );
  const row = (name: string, samples: number[]) => [name, fmt(percentile(samples, 50), 3), fmt(percentile(samples, 99), 3)];
  const ttfb = table(
    ["token response through a served router (ms)", "p50", "p99"],
    [row("first byte, before", result.ttfb.before.first), row("first byte, after", result.ttfb.after.first), row("last byte, before", result.ttfb.before.last), row("last byte, after", result.ttfb.after.last)],
  );
  const added = percentile(result.ttfb.after.first, 50) - percentile(result.ttfb.before.first, 50);
  return `Learned credential routes: router CPU per request (µs, user + system of this process), in process, upstream answering at once; before/in-process: fastest of 3 alternated rounds; NATS KV: learned by one router, looked up by another, with its wall time (the KV round trips)\n\n${cpu}\n\n${ttfb}\n- added time to first byte of a token response, p50: ${fmt(added, 3)} ms`;
}

if (import.meta.main) {
  const at = process.argv.indexOf("--baseline");
  console.log(credentialsTables(await credentialsBench(argNumber("--iterations", 20_000), at === -1 ? null : process.argv[at + 1]!)));
}
