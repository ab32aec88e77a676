import { mintToken } from "../../services/commands/tokens.ts";
import { randomSecret } from "../support/secrets.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { startService, tempDir, type Runtime, type ServiceProcess } from "../support/processes.ts";
import { startUpstream, type Upstream } from "../support/router.ts";
import { deleteCredentialBuckets } from "../support/nats.ts";

const AUTH_SECRET = randomSecret("auth");
const PIN_SECRET = randomSecret("pin");

export type Router = { port: number; admin: number; process: ServiceProcess };

/**
 * A production-shaped deployment in separate processes: one command API and N routers on a
 * throwaway PostgreSQL database, hints on NATS under a prefix of their own, and two real
 * upstream servers the routers forward to.
 */
export async function deployment(options: {
  natsUrl: string;
  pollMs: number;
  databaseUrl?: (db: TestDatabase) => string;
  runtime?: Runtime;
  env?: Record<string, string>;
  /** Real providers instead of the two stand-in upstreams, with the public URL they issue for. */
  providers?: { publicUrl: string; list: Record<string, unknown>[] };
  /** Runs on the fresh database before any service starts (e.g. to take a lease first). */
  beforeStart?: (databaseUrl: string) => Promise<void>;
}) {
  const runtime = options.runtime ?? "bun";
  const db = await createTestDatabase();
  const dir = tempDir();
  const legacy = startUpstream("legacy");
  const target = startUpstream("target");
  const config = dir.write(
    "config.json",
    JSON.stringify({
      publicUrl: options.providers?.publicUrl ?? "http://localhost:8080",
      providers: options.providers?.list ?? [
        { id: "legacy", role: "legacy", origin: legacy.origin },
        { id: "target", role: "target", origin: target.origin },
      ],
    }),
  );
  const prefix = `ssomig-test-${crypto.randomUUID().slice(0, 8)}`;
  const databaseUrl = options.databaseUrl?.(db) ?? db.url;
  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: databaseUrl,
    NATS_URL: options.natsUrl,
    SSOMIG_NATS_PREFIX: prefix,
    SSOMIG_CONFIG: config,
    DATA_DIR: dir.path,
    AUTH_SECRET,
    ROUTER_PIN_SECRET: PIN_SECRET,
    ROUTE_POLL_MS: String(options.pollMs),
    API_PORT: "0",
    ROUTER_PORT: "0",
    ROUTER_ADMIN_PORT: "0",
    ...options.env,
    ...extra,
  });
  const processes: ServiceProcess[] = [];
  await options.beforeStart?.(db.url);
  const api = await startService("services/commands/main.ts", env(), 30_000, runtime);
  processes.push(api);
  const apiUrl = `http://127.0.0.1:${api.ports[0]}`;
  const token = await mintToken(AUTH_SECRET, { subject: "propagation-test", scopes: ["migrations:write"], ttlSeconds: 3600 });

  const prefixes = new Set([prefix]);
  async function startRouter(extra: Record<string, string> = {}): Promise<Router> {
    prefixes.add(extra.SSOMIG_NATS_PREFIX ?? prefix);
    const started = await startService("services/router/main.ts", env(extra), 30_000, runtime);
    processes.push(started);
    return { port: started.ports[0]!, admin: started.ports[1]!, process: started };
  }

  async function command(path: string, body: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(apiUrl + path, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }).catch((error: unknown) => {
      // An API that cannot be reached has usually exited: its last lines say why.
      throw new Error(`the API did not answer ${path} (${String(error)}); its last output:\n${api.output.join("\n")}`);
    });
    return { status: response.status, body: await response.json() };
  }

  /** Which provider a real request for the organization's users reaches through this router. */
  async function providerSeenBy(router: Router, domain: string): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${router.port}/authorize?login_hint=user@${domain}`);
    return ((await response.json()) as { provider: string }).provider;
  }

  async function status(router: Router): Promise<Record<string, any>> {
    return (await fetch(`http://127.0.0.1:${router.admin}/status`)).json() as Promise<Record<string, any>>;
  }

  async function get(path: string, init: { signal?: AbortSignal } = {}): Promise<{ status: number; body: any }> {
    const response = await fetch(apiUrl + path, { headers: { authorization: `Bearer ${token}` }, ...init });
    return { status: response.status, body: await response.json() };
  }

  return {
    api,
    apiUrl,
    /** The test database itself, not through any proxy. */
    directDatabaseUrl: db.url,
    natsPrefix: prefix,
    get,
    legacy,
    target,
    startRouter,
    command,
    providerSeenBy,
    status,
    async close() {
      await Promise.all(processes.map((p) => p.stop()));
      legacy.stop();
      target.stop();
      await db.drop();
      dir.cleanup();
      await deleteCredentialBuckets(prefixes); // routers create their credential record's buckets
    },
  };
}

export type Deployment = Awaited<ReturnType<typeof deployment>>;
export type { Upstream };
