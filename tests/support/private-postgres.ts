import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./processes.ts";

export type PrivateCluster = { url: string; stop(): Promise<void> };

/** PostgreSQL's server binaries: PG_BINDIR, else the newest Debian install. */
function binDir(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => join(root, v, "bin")).find((dir) => existsSync(join(dir, "initdb")));
  if (!found) throw new Error(`this test starts its own PostgreSQL cluster and needs initdb and pg_ctl (Debian package postgresql, or set PG_BINDIR)`);
  return found;
}

/**
 * A throwaway PostgreSQL cluster of our own (initdb + pg_ctl, on a free loopback port, its
 * socket and data in a temp dir), for tests that depend on cluster-wide state such as
 * transaction ids: a fresh cluster starts near xid 730, whatever the shared server has used.
 * initdb refuses to run as root, so as root the cluster runs as the `postgres` user.
 * `stop()` stops it immediately and deletes the directory.
 */
export async function startPrivateCluster(): Promise<PrivateCluster> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "ssomig-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const ids = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const gids = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    if (ids.status !== 0) throw new Error("running as root, this test needs a `postgres` user to run its own cluster");
    chownSync(dir, Number(ids.stdout.trim()), Number(gids.stdout.trim()));
  }
  const run = (args: string[]) => {
    const command = asRoot ? ["runuser", "-u", "postgres", "--", ...args] : args;
    const result = spawnSync(command[0]!, command.slice(1), { encoding: "utf8", timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${args.join(" ")} failed: ${result.stderr || result.stdout || result.error}`);
  };
  const data = join(dir, "data");
  let started = false;
  const stop = async () => {
    try {
      if (started) run([join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    run([join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]);
    // The free port can be taken by someone else before the server binds it: try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      try {
        run([join(bin, "pg_ctl"), "-D", data, "-l", join(dir, "server.log"), "-o", options, "-w", "-t", "30", "start"]);
        started = true;
        return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
}
