/**
 * Router cold start: time from process start to "serving" with 100,000 organizations and
 * 300,000 identifiers in the projection, and its resident memory once loaded. Baseline in the
 * same run: the same router on an empty projection.
 *
 *   bun bench/cold-start/run.ts [--organizations 100000]
 */
import { readFileSync } from "node:fs";
import { openEventStore } from "../../db/event-store.ts";
import { createTestDatabase } from "../../tests/support/postgres.ts";
import { startService, tempDir } from "../../tests/support/processes.ts";
import { table, fmt, argNumber } from "../stats.ts";
import { randomSecret } from "../../tests/support/secrets.ts";

export type ColdStart = { organizations: number; identifiers: number; seconds: number; rssMb: number; emptySeconds: number; emptyRssMb: number };

async function startAndMeasure(databaseUrl: string, dir: ReturnType<typeof tempDir>): Promise<{ seconds: number; rssMb: number; organizations: number }> {
  const config = dir.write("config.json", JSON.stringify({ publicUrl: "https://auth.example.com", providers: [{ id: "legacy", role: "legacy", origin: "http://127.0.0.1:9" }, { id: "target", role: "target", origin: "http://127.0.0.1:9" }] }));
  const started = performance.now();
  const router = await startService("services/router/main.ts", { DATABASE_URL: databaseUrl, SSOMIG_CONFIG: config, ROUTER_PIN_SECRET: randomSecret("pin"), ROUTER_PORT: "0", ROUTER_ADMIN_PORT: "0", ROUTE_POLL_MS: "60000", DATA_DIR: dir.path }, 60_000);
  const seconds = (performance.now() - started) / 1000;
  try {
    const status = (await (await fetch(`http://127.0.0.1:${router.ports[1]}/status`)).json()) as { organizations: number };
    const pid = await pidOfPort(router.ports[0]!);
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
    return { seconds, rssMb: rss, organizations: status.organizations };
  } finally {
    await router.stop();
  }
}

/** The pid listening on a port, from /proc/net/tcp and the fd links (no extra tools needed). */
async function pidOfPort(port: number): Promise<number> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set(
    readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f[1]?.endsWith(`:${hex}`) && f[3] === "0A").map((f) => f[9]!),
  );
  const { readdirSync, readlinkSync } = await import("node:fs");
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /socket:\[(\d+)\]/.exec(link)?.[1];
        if (inode && inodes.has(inode)) return Number(pid);
      }
    } catch {
      // processes come and go
    }
  }
  throw new Error(`no process listens on port ${port}`);
}

export async function coldStartBench(organizations: number): Promise<ColdStart> {
  const dir = tempDir();
  const empty = await createTestDatabase();
  const full = await createTestDatabase();
  try {
    await openEventStore(empty.open());
    const sql = full.open();
    await openEventStore(sql);
    await sql.query("SET statement_timeout = 0");
    await sql.query(
      `INSERT INTO organizations (id, name, provider, version, position, transaction_id, rollback_to, updated_at)
       SELECT 'org-' || o, 'Org ' || o, CASE WHEN o % 2 = 0 THEN 'target' ELSE 'legacy' END, 1, o, pg_current_xact_id(), '[]', now()
         FROM generate_series(1, $1::int) AS o`,
      [organizations],
    );
    await sql.query(
      `INSERT INTO identifiers (kind, value, organization_id)
       SELECT k.kind, CASE k.kind WHEN 'domain' THEN 'org-' || o || '.example.com' WHEN 'saml_issuer' THEN 'http://www.okta.com/exk' || o ELSE 'conn-' || o END, 'org-' || o
         FROM generate_series(1, $1::int) AS o, (VALUES ('domain'), ('saml_issuer'), ('connection')) AS k(kind)`,
      [organizations],
    );
    await sql.query("ANALYZE");
    const base = await startAndMeasure(empty.url, dir);
    const loaded = await startAndMeasure(full.url, dir);
    if (loaded.organizations !== organizations) throw new Error(`router loaded ${loaded.organizations} organizations, expected ${organizations}`);
    return { organizations, identifiers: organizations * 3, seconds: loaded.seconds, rssMb: loaded.rssMb, emptySeconds: base.seconds, emptyRssMb: base.rssMb };
  } finally {
    await empty.drop();
    await full.drop();
    dir.cleanup();
  }
}

if (import.meta.main) {
  const organizations = argNumber("--organizations", 100_000);
  const r = await coldStartBench(organizations);
  console.log(table(["router start", "seconds", "RSS MB"], [[`${r.organizations} orgs, ${r.identifiers} identifiers`, fmt(r.seconds, 2), fmt(r.rssMb, 0)], ["empty projection (baseline)", fmt(r.emptySeconds, 2), fmt(r.emptyRssMb, 0)]]));
}
