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
import { fmt, percentile, table } from "../stats.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!, process.argv[i + 1] ?? "");
const MIGRATIONS = Number(args.get("--migrations") ?? 200);
const ROUTER_COUNTS = (args.get("--routers") ?? "1,3,10").split(",").map(Number);
const POLL_MS = Number(args.get("--poll-ms") ?? 250);
const SECRET = "benchmark-secret-with-at-least-32-bytes!!";

type Result = { mode: string; routers: number; samples: number[] };

async function measure(mode: "nats" | "polling", routerCount: number): Promise<Result> {
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
      ROUTE_POLL_MS: String(mode === "nats" ? 1000 : POLL_MS),
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
    for (let i = 0; i < MIGRATIONS; i++) {
      const provider = i % 2 === 0 ? "target" : "legacy";
      await post(`/v1/organizations/acme/${i % 2 === 0 ? "migrate" : "rollback"}`, { reason: `bench ${i}` });
      const answered = performance.now();
      const times = await Promise.all(routerUrls.map((u) => serves(u, provider, answered + 10_000)));
      samples.push(Math.max(...times) - answered);
    }
    return { mode, routers: routerCount, samples };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    legacy.stop();
    target.stop();
    await db.drop();
    dir.cleanup();
  }
}

await natsAvailable();
const results: Result[] = [];
for (const mode of ["nats", "polling"] as const) {
  for (const n of ROUTER_COUNTS) {
    process.stderr.write(`measuring ${mode}, ${n} router(s), ${MIGRATIONS} migrations...\n`);
    results.push(await measure(mode, n));
  }
}
const target = (mode: string) => (mode === "nats" ? "p99 <= 20 ms" : `<= ${POLL_MS + 100} ms (poll + 100)`);
const pass = (r: Result) => (r.mode === "nats" ? percentile(r.samples, 99) <= 20 : percentile(r.samples, 100) <= POLL_MS + 100);
console.log(`\nPropagation: command API answer -> every router serves the new route (${MIGRATIONS} migrations each; ms)\n`);
console.log(
  table(
    ["mode", "routers", "p50", "p95", "p99", "max", "target", "result"],
    results.map((r) => [r.mode === "nats" ? "NATS hints" : `polling ${POLL_MS} ms`, String(r.routers), fmt(percentile(r.samples, 50)), fmt(percentile(r.samples, 95)), fmt(percentile(r.samples, 99)), fmt(percentile(r.samples, 100)), target(r.mode), pass(r) ? "pass" : "MISS"]),
  ),
);
