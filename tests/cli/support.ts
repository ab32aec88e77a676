import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runtimeCommand, startService, tempDir, type Runtime, type ServiceProcess } from "../support/processes.ts";
import { startUpstream, type Upstream } from "../support/router.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
export const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

export type Answer = { code: number; stdout: string; stderr: string };

/**
 * The embedded default in its own process (PGlite under a throwaway DATA_DIR, every port 0, two
 * throwaway upstreams as its providers), for the CLI to talk to like an operator's would.
 * `env` adds to its environment; `provider` to each provider's config (e.g. `preflight`).
 */
export async function embeddedApi(options: { env?: Record<string, string>; provider?: Record<string, unknown> } = {}) {
  const dir = tempDir();
  const upstreams: Upstream[] = [startUpstream("legacy"), startUpstream("target")];
  let service: ServiceProcess | undefined;
  try {
    const config = dir.write("config.json", JSON.stringify({ publicUrl: "http://localhost:8080", providers: [{ id: "legacy", role: "legacy", origin: upstreams[0]!.origin, ...options.provider }, { id: "target", role: "target", origin: upstreams[1]!.origin, ...options.provider }] }));
    const dataDir = join(dir.path, "data");
    service = await startService("services/main.ts", { DATA_DIR: dataDir, SSOMIG_CONFIG: config, API_PORT: "0", ROUTER_PORT: "0", ROUTER_ADMIN_PORT: "0", ROUTER_ACCESS_LOG: "off", ...options.env }, 30_000);
    const url = `http://127.0.0.1:${service.ports[2]}`;
    const token = readFileSync(join(dataDir, "admin.token"), "utf8").trim();
    /** What the CLI finds with no SSOMIG_TOKEN: the embedded default's token file under DATA_DIR. */
    const env = { SSOMIG_API_URL: url, DATA_DIR: dataDir };
    const running = service;
    return {
      url,
      /** The router (the auth domain), and the providers behind it: `upstreams[i].handle(...)` changes how one answers. */
      routerUrl: `http://127.0.0.1:${service.ports[0]}`,
      upstreams,
      dir,
      env,
      token,
      async api(method: string, path: string, body?: unknown) {
        const response = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
        return { status: response.status, body: (await response.json()) as any };
      },
      /** How many events the whole log holds. */
      async eventCount(): Promise<number> {
        const response = await fetch(`${url}/v1/events`, { headers: { authorization: `Bearer ${token}`, accept: "application/x-ndjson" } });
        return (await response.text()).split("\n").filter(Boolean).length;
      },
      async stop() {
        await running.stop();
        for (const upstream of upstreams) upstream.stop();
        dir.cleanup();
      },
    };
  } catch (error) {
    await service?.stop();
    for (const upstream of upstreams) upstream.stop();
    dir.cleanup();
    throw error;
  }
}

/** The real `ssomig` binary in its own process (Bun unless told), with only the environment given. */
export async function ssomig(args: string[], env: Record<string, string>, stdin?: string, runtime: Runtime = "bun"): Promise<Answer> {
  const child = Bun.spawn([...runtimeCommand(runtime, "cli/ssomig.ts"), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", DENO_NO_UPDATE_CHECK: "1", ...env },
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout: stdout.trimEnd(), stderr: stderr.trimEnd() };
}
