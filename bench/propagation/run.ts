/**
 * Propagation benchmark (not part of the test command): the time from the command API's answer
 * to every one of N routers serving the new route to a real request, over many migrations,
 * with NATS hints and with polling alone. Needs PostgreSQL and NATS (TEST_PG_URL, TEST_NATS_URL).
 *
 *   bun bench/propagation/run.ts [--migrations 200] [--routers 1,3,10] [--poll-ms 250]
 */
import { mintToken } from "../../services/commands/tokens.ts";
import { createTestDatabase } from "../../tests/support/postgres.ts";
import { startService, tempDir, type ServiceProcess } from "../../tests/support/processes.ts";
import { startUpstream } from "../../tests/support/router.ts";
import { TEST_NATS_URL, natsAvailable } from "../../tests/support/nats.ts";
import { argNumber, fmt, percentile, table } from "../stats.ts";
import { randomSecret } from "../../tests/support/secrets.ts";

const SECRET = randomSecret("bench");

export type PropagationResult = { mode: "nats" | "polling"; routers: number; samples: number[]; pollMs: number };
type Result = PropagationResult;

async function measure(mode: "nats" | "polling", routerCount: number, migrations: number, pollMs: number): Promise<Result> {
  const db = await createTestDatabase();
  const dir = tempDir();
  const legacy = startUpstream("legacy");
  const target = startUpstream("target");
  const processes: ServiceProcess[] = [];
  try {
    const config = dir.write("config.json", JSON.stringify({ publicUrl: "http://localhost", providers: [{ id: "legacy", role: "legacy", origin: legacy.origin }, { id: "target", role: "target", origin: target.origin }] }));
    const env = {
      DATABASE_URL: db.url,
      SSOMIG_CONFIG: config,
      DATA_DIR: dir.path,
      AUTH_SECRET: SECRET,
      ROUTER_PIN_SECRET: SECRET,
      ROUTE_POLL_MS: String(mode === "nats" ? 1000 : pollMs),
      SSOMIG_NATS_PREFIX: `bench-${crypto.randomUUID().slice(0, 8)}`,
      API_PORT: "0",
      ROUTER_PORT: "0",
      ROUTER_ADMIN_PORT: "0",
      ...(mode === "nats" ? { NATS_URL: TEST_NATS_URL } : {}),
    };
    const api = await startService("services/commands/main.ts", env);
    processes.push(api);
    const routers = await Promise.all(Array.from({ length: routerCount }, () => startService("services/router/main.ts", env)));
    processes.push(...routers);
    const apiUrl = `http://127.0.0.1:${api.ports[0]}`;
    const token = await mintToken(SECRET, { subject: "bench", scopes: ["migrations:write"], ttlSeconds: 3600 });
    const post = async (path: string, body: unknown) => {
      const response = await fetch(apiUrl + path, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return response.json();
    };
    await post("/v1/organizations", { id: "acme", name: "Acme", identifiers: [{ kind: "domain", value: "acme.com" }] });
    const routerUrls = routers.map((r) => `http://127.0.0.1:${r.ports[0]}/authorize?login_hint=u@acme.com`);
    const serves = async (url: string, provider: string, deadline: number): Promise<number> => {
      for (;;) {
        const seen = ((await (await fetch(url)).json()) as { provider: string }).provider;
        const now = performance.now();
        if (seen === provider) return now;
        if (now > deadline) throw new Error(`a router did not serve ${provider} within the deadline`);
        // One probe in flight per router, with a breath between: probing must not starve the routers it measures.
        await new Promise((resolve) => setTimeout(resolve, 0.5));
      }
    };
    // Every router serves the current route before the clock starts.
    await Promise.all(routerUrls.map((u) => serves(u, "legacy", performance.now() + 10_000)));
    const samples: number[] = [];
    for (let i = 0; i < migrations; i++) {
      const provider = i % 2 === 0 ? "target" : "legacy";
      await post(`/v1/organizations/acme/${i % 2 === 0 ? "migrate" : "rollback"}`, { reason: `bench ${i}` });
      const answered = performance.now();
      const times = await Promise.all(routerUrls.map((u) => serves(u, provider, answered + 10_000)));
      samples.push(Math.max(...times) - answered);
    }
    return { mode, routers: routerCount, samples, pollMs: mode === "nats" ? 1000 : pollMs };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    legacy.stop();
    target.stop();
    await db.drop();
    dir.cleanup();
  }
}

export async function propagationBench(options: { migrations: number; routerCounts: number[]; pollMs: number; log: (line: string) => void }): Promise<PropagationResult[]> {
  await natsAvailable();
  const results: Result[] = [];
  for (const mode of ["nats", "polling"] as const) {
    for (const n of options.routerCounts) {
      options.log(`propagation: ${mode}, ${n} router(s), ${options.migrations} migrations...`);
      results.push(await measure(mode, n, options.migrations, options.pollMs));
    }
  }
  return results;
}

export const propagationPasses = (r: PropagationResult) => (r.mode === "nats" ? percentile(r.samples, 99) <= 20 : percentile(r.samples, 100) <= r.pollMs + 100);

export function propagationTable(results: PropagationResult[]): string {
  const target = (r: PropagationResult) => (r.mode === "nats" ? "p99 <= 20 ms" : `max <= ${r.pollMs + 100} ms (poll + 100)`);
  return table(
    ["mode", "routers", "p50", "p95", "p99", "max", "target", "result"],
    results.map((r) => [r.mode === "nats" ? "NATS hints" : `polling ${r.pollMs} ms`, String(r.routers), fmt(percentile(r.samples, 50)), fmt(percentile(r.samples, 95)), fmt(percentile(r.samples, 99)), fmt(percentile(r.samples, 100)), target(r), propagationPasses(r) ? "pass" : "MISS"]),
  );
}

if (import.meta.main) {
  const migrations = argNumber("--migrations", 200);
  const routerCounts = (process.argv[process.argv.indexOf("--routers") + 1] && process.argv.includes("--routers") ? process.argv[process.argv.indexOf("--routers") + 1]! : "1,3,10").split(",").map(Number);
  const results = await propagationBench({ migrations, routerCounts, pollMs: argNumber("--poll-ms", 250), log: (l) => console.error(l) });
  console.log(`\nPropagation: command API answer -> every router serves the new route (${migrations} migrations each; ms)\n`);
  console.log(propagationTable(results));
}
