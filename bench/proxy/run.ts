/**
 * Proxy throughput and latency: the same request mix (authorize GETs, 10 KB SAML POSTs, token
 * POSTs) straight to the upstream, through nginx proxy_pass, through a bare Bun fetch proxy (the
 * ceiling for a Bun-based proxy: no routing at all), and through the router on Bun, Deno and
 * Node, alternating contenders round by round; medians over the rounds. Load from wrk (one
 * thread), which is not the thing measured.
 *
 *   bun bench/proxy/run.ts [--rounds 3] [--seconds 4]
 */
import { openEventStore } from "../../db/event-store.ts";
import { executeCommand } from "../../services/commands/execute-command.ts";
import { providerCatalog, parseConfig } from "../../shared/config.ts";
import type { OrganizationCommand } from "../../shared/commands.ts";
import { createTestDatabase } from "../../tests/support/postgres.ts";
import { freePort, startService, tempDir, type Runtime, type ServiceProcess } from "../../tests/support/processes.ts";
import { SAMPLE_ISSUER, sampleSamlResponse } from "../../cli/saml-sample.ts";
import { fmt, table } from "../stats.ts";
import { randomSecret } from "../../tests/support/secrets.ts";
import { startNginx } from "./nginx.ts";
import { haveWrk, mixScript, wrk, type MixRequest, type WrkResult } from "./wrk.ts";

export type Contender = { name: string; url: string };
export type ProxyResult = { name: string; load: WrkResult; idle: WrkResult };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function proxyBench(options: { rounds: number; seconds: number; log: (line: string) => void }): Promise<{ results: ProxyResult[]; notes: string[] }> {
  const notes: string[] = [];
  if (!(await haveWrk())) throw new Error("the proxy benchmark needs wrk (Debian: apt-get install wrk)");
  const dir = tempDir();
  const db = await createTestDatabase();
  const processes: ServiceProcess[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    const upstream = await startService("bench/proxy/upstream.ts", { PORT: "0" });
    processes.push(upstream);
    const upstreamPort = upstream.ports[0]!;
    const config = { publicUrl: "https://auth.example.com", providers: [{ id: "legacy", role: "legacy", origin: `http://127.0.0.1:${upstreamPort}` }, { id: "target", role: "target", origin: `http://127.0.0.1:${upstreamPort}` }] };
    const configFile = dir.write("config.json", JSON.stringify(config));

    const store = await openEventStore(db.open());
    const run = (c: OrganizationCommand) => executeCommand({ store, providers: providerCatalog(parseConfig(config)) }, c, { actor: "bench", requestId: "bench", reason: null }, () => ({ status: 200, body: null }));
    await run({ type: "RegisterOrganization", organizationId: "acme", name: "Acme", identifiers: [{ kind: "domain", value: "acme.com" }, { kind: "saml_issuer", value: SAMPLE_ISSUER }, { kind: "client_id", value: "acme-m2m" }] });
    await run({ type: "MigrateOrganization", organizationId: "acme", reason: "bench" });

    const saml = sampleSamlResponse();
    const form = "application/x-www-form-urlencoded";
    const mix: MixRequest[] = [
      { method: "GET", path: "/authorize?response_type=code&client_id=app&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid&state=s1&login_hint=jane%40acme.com", headers: {} },
      { method: "POST", path: "/saml2/idpresponse", headers: { "Content-Type": form }, body: `SAMLResponse=${encodeURIComponent(saml.base64)}&RelayState=r` },
      { method: "POST", path: "/oauth/token", headers: { "Content-Type": form }, body: "grant_type=client_credentials&client_id=acme-m2m&client_secret=s" },
    ];
    const script = mixScript(dir.path, mix);
    notes.push(`mix: authorize GET, ${mix[1]!.body!.length} B SAML POST, token POST, in turn; wrk -t1, ${options.seconds}s per run, ${options.rounds} rounds`);

    const contenders: Contender[] = [{ name: "direct to upstream", url: `http://127.0.0.1:${upstreamPort}` }];
    const nginxPort = await freePort();
    const nginx = await startNginx(dir.path, nginxPort, upstreamPort);
    if (nginx) {
      stops.push(() => nginx.stop());
      contenders.push({ name: "nginx proxy_pass", url: `http://127.0.0.1:${nginxPort}` });
    } else notes.push("nginx is not installed (Debian: apt-get install nginx-light): no nginx figures, no ratios");
    const bare = await startService("bench/proxy/bare-proxy.ts", { PORT: "0", UPSTREAM: `http://127.0.0.1:${upstreamPort}` });
    processes.push(bare);
    contenders.push({ name: "bare Bun fetch proxy", url: `http://127.0.0.1:${bare.ports[0]}` });
    // nginx runs with access_log off, so the routers run with ROUTER_ACCESS_LOG=off; one more Bun
    // router with its per-request log line on shows what that line costs.
    const routers: [string, Runtime, "on" | "off"][] = [["ssomigrate on bun", "bun", "off"], ["ssomigrate on deno", "deno", "off"], ["ssomigrate on node", "node", "off"], ["ssomigrate bun, access log", "bun", "on"]];
    for (const [name, runtime, accessLog] of routers) {
      const env = { DATABASE_URL: db.url, SSOMIG_CONFIG: configFile, ROUTER_PIN_SECRET: randomSecret("pin"), ROUTER_PORT: "0", ROUTER_ADMIN_PORT: "0", ROUTE_POLL_MS: "60000", DATA_DIR: dir.path, ROUTER_ACCESS_LOG: accessLog };
      const router = await startService("services/router/main.ts", env, 60_000, runtime);
      processes.push(router);
      contenders.push({ name, url: `http://127.0.0.1:${router.ports[0]}` });
    }

    const samples = new Map<string, { load: WrkResult[]; idle: WrkResult[] }>(contenders.map((c) => [c.name, { load: [], idle: [] }]));
    for (const c of contenders) await wrk(c.url, { connections: 8, seconds: 1, script }); // warm-up (JIT, pools)
    for (let round = 1; round <= options.rounds; round++) {
      const order = round % 2 ? contenders : [...contenders].reverse();
      for (const c of order) {
        const load = await wrk(c.url, { connections: 32, seconds: options.seconds, script });
        const idle = await wrk(c.url, { connections: 1, seconds: Math.max(2, Math.ceil(options.seconds / 2)), script });
        samples.get(c.name)!.load.push(load);
        samples.get(c.name)!.idle.push(idle);
        options.log(`round ${round}: ${c.name.padEnd(20)} ${load.rps.toFixed(0).padStart(7)} req/s  p50 ${fmt(load.p50, 2)} ms  idle p50 ${fmt(idle.p50, 3)} ms${load.errors ? `  ERRORS ${load.errors}` : ""}`);
      }
    }
    const pick = (rs: WrkResult[]): WrkResult => ({ rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), errors: rs.reduce((n, r) => n + r.errors, 0) });
    return { results: contenders.map((c) => ({ name: c.name, load: pick(samples.get(c.name)!.load), idle: pick(samples.get(c.name)!.idle) })), notes };
  } finally {
    for (const stop of stops) await stop();
    await Promise.all(processes.map((p) => p.stop()));
    await db.drop();
    dir.cleanup();
  }
}

export function proxyTable(results: ProxyResult[]): string {
  const nginx = results.find((r) => r.name.startsWith("nginx"));
  return table(
    ["contender", "req/s", "p50 ms", "p99 ms", "vs nginx", "idle p50 ms", "errors"],
    results.map((r) => [r.name, r.load.rps.toFixed(0), fmt(r.load.p50, 2), fmt(r.load.p99, 2), nginx ? `${(r.load.rps / nginx.load.rps).toFixed(2)}x` : "-", fmt(r.idle.p50, 3), String(r.load.errors)]),
  );
}

if (import.meta.main) {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!, process.argv[i + 1] ?? "");
  const { results, notes } = await proxyBench({ rounds: Number(args.get("--rounds") ?? 3), seconds: Number(args.get("--seconds") ?? 4), log: (l) => console.error(l) });
  console.log(`\n${proxyTable(results)}\n${notes.map((n) => `- ${n}`).join("\n")}`);
}
