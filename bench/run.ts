/**
 * `npm run bench`: every DESIGN target, measured on this machine in one run, in one table.
 * Starts what it needs (PostgreSQL and NATS must be running; nginx and wrk from Debian for the
 * proxy comparison). Never part of the test command.
 *
 *   bun bench/run.ts [--quick] [--record]     --record appends the table to bench/RESULTS.md
 */
import { appendFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { coldStartBench } from "./cold-start/run.ts";
import { decisionBench } from "./decision/run.ts";
import { worstCaseBench, worstCaseTable } from "./worst-case/run.ts";
import { propagationBench, propagationTable } from "./propagation/run.ts";
import { routerCostBench, routerCostTable } from "./router-cost/run.ts";
import { proxyBench, proxyTable } from "./proxy/run.ts";
import { fmt, percentile, table } from "./stats.ts";
import { appendBench, replayBench } from "./store/run.ts";

const quick = process.argv.includes("--quick");
const log = (line: string) => console.error(line);
type Row = [string, string, string, boolean];
const rows: Row[] = [];
const sections: string[] = [];

log("proxy throughput and latency (wrk)...");
const proxy = await proxyBench({ rounds: quick ? 1 : 3, seconds: quick ? 3 : 5, log });
sections.push(`Proxy (median of ${quick ? 1 : 3} rounds, contenders alternated)\n\n${proxyTable(proxy.results)}\n${proxy.notes.map((n) => `- ${n}`).join("\n")}`);
const nginx = proxy.results.find((r) => r.name.startsWith("nginx"));
const direct = proxy.results.find((r) => r.name.startsWith("direct"))!;
const bun = proxy.results.find((r) => r.name === "ssomigrate on bun")!;
if (nginx) rows.push(["proxy throughput vs nginx proxy_pass (Bun)", `${(bun.load.rps / nginx.load.rps).toFixed(2)}x (${bun.load.rps.toFixed(0)} vs ${nginx.load.rps.toFixed(0)} req/s)`, ">= 0.8x", bun.load.rps / nginx.load.rps >= 0.8]);
const added = bun.idle.p50 - direct.idle.p50;
rows.push(["added latency vs direct, p50 at low load (Bun)", `${fmt(added, 3)} ms`, "<= 0.3 ms", added <= 0.3]);

log("router cost per request, in process...");
sections.push(`Router cost per request kind, in process, no network (µs)\n\n${routerCostTable(await routerCostBench(quick ? 5000 : 20000))}`);

log("routing decision...");
const decision = await decisionBench(quick ? 5000 : 20000);
rows.push([`routing decision, ${(decision.bytes / 1024).toFixed(1)} KB SAMLResponse`, `${fmt(decision.medianUs)} µs median (p99 ${fmt(decision.p99Us)}; base64 alone ${fmt(decision.baselineMedianUs)})`, "<= 250 µs median", decision.medianUs <= 250]);

log("worst-case SAML inputs...");
const worst = await worstCaseBench(quick ? 3 : 8);
rows.push(["worst SAML input under the limits vs a normal 10 KB response", `${worst.slowest.ratio.toFixed(1)}x (${worst.slowest.name})`, "<= 20x", worst.slowest.ratio <= 20]);
sections.push(`Worst-case SAML inputs, whole routing decision, each beside the normal response in the same rounds\n\n${worstCaseTable(worst)}`);

log("appends...");
const appends = await appendBench(quick ? 2000 : 6000, 32);
rows.push(["append throughput, concurrent commands, different orgs", `${appends.eventsPerSecond.toFixed(0)} events/s`, ">= 3,000 events/s", appends.eventsPerSecond >= 3000]);
rows.push(["  (one hot organization, conflicts retried)", `${appends.hotEventsPerSecond.toFixed(0)} events/s, ${appends.hotConflicts} conflicts / ${appends.hotCommands} commands`, "(no target)", true]);

log("replay...");
const replay = await replayBench(quick ? 200_000 : 1_000_000);
const replayTarget = quick ? 2 : 10;
rows.push([`replay of ${replay.events} events into a fresh projection`, `${fmt(replay.seconds, 2)} s (${(replay.events / replay.seconds).toFixed(0)} events/s)`, `<= ${replayTarget} s`, replay.seconds <= replayTarget]);

log("router cold start...");
const cold = await coldStartBench(quick ? 20_000 : 100_000);
rows.push([`router cold start, ${cold.organizations} orgs / ${cold.identifiers} identifiers`, `${fmt(cold.seconds, 2)} s, ${fmt(cold.rssMb, 0)} MB RSS (empty: ${fmt(cold.emptySeconds, 2)} s, ${fmt(cold.emptyRssMb, 0)} MB)`, "<= 2 s, <= 300 MB", cold.seconds <= 2 && cold.rssMb <= 300]);

log("propagation...");
const propagation = await propagationBench({ migrations: quick ? 50 : 200, routerCounts: quick ? [1, 3] : [1, 3, 10], pollMs: 250, log });
sections.push(`Propagation: command API answer -> every router serves the new route (ms)\n\n${propagationTable(propagation)}`);
for (const r of propagation) {
  if (r.mode === "nats") rows.push([`propagation with NATS, ${r.routers} router(s)`, `p99 ${fmt(percentile(r.samples, 99))} ms`, "p99 <= 20 ms", percentile(r.samples, 99) <= 20]);
  else rows.push([`propagation, NATS down (poll ${r.pollMs} ms), ${r.routers} router(s)`, `max ${fmt(percentile(r.samples, 100))} ms`, `<= ${r.pollMs + 100} ms`, percentile(r.samples, 100) <= r.pollMs + 100]);
}

const versions = `bun ${process.versions.bun ?? "-"}, node ${await version(["node", "--version"])}, deno ${(await version(["node_modules/.bin/deno", "--version"])).split("\n")[0]}`;
const header = `${new Date().toISOString()} — ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB — ${versions}${quick ? " — QUICK run (smaller sizes)" : ""}`;
const summary = table(["target", "measured", "DESIGN target", "result"], rows.map(([a, b, c, ok]) => [a, b, c, ok ? "pass" : "MISS"]));
const report = `## ${header}\n\n\`\`\`\n${summary}\n\`\`\`\n\n${sections.map((s) => `\`\`\`\n${s}\n\`\`\``).join("\n\n")}\n`;
console.log(`\n${header}\n\n${summary}\n\n${sections.join("\n\n")}`);
if (process.argv.includes("--record")) appendFileSync(new URL("./RESULTS.md", import.meta.url), `\n${report}`);

async function version(command: string[]): Promise<string> {
  const child = Bun.spawn(command, { stdout: "pipe", stderr: "ignore" });
  return (await new Response(child.stdout).text()).trim();
}
