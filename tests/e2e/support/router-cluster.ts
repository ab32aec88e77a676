import { openEventStore } from "../../../db/event-store.ts";
import { openPglite } from "../../../db/pglite.ts";
import { routeSource } from "../../../db/route-source.ts";
import type { Database } from "../../../db/sql.ts";
import { executeCommand } from "../../../services/commands/execute-command.ts";
import { createRouterApp } from "../../../services/router/app.ts";
import { createForwarder } from "../../../services/router/forward.ts";
import { mergedJwks } from "../../../services/router/merged-jwks.ts";
import { routerMetrics } from "../../../services/router/metrics.ts";
import { pinCookies } from "../../../services/router/pin-cookie.ts";
import { RouteTable } from "../../../services/router/route-table.ts";
import { serve } from "../../../services/runtime/serve.ts";
import type { OrganizationCommand } from "../../../shared/commands.ts";
import { parseConfig, providerCatalog, type Config } from "../../../shared/config.ts";
import type { Identifier } from "../../../shared/identifiers.ts";
import type { Dialer } from "./browser.ts";
import { connect } from "nats";
import { CREDENTIAL_KINDS, type CredentialRecord } from "../../../services/bus/credential-record.ts";
import { natsCredentialRecord } from "../../../services/bus/nats-credential-record.ts";
import { ttlsOf } from "../../../services/router/app.ts";
import { eventually } from "../../support/eventually.ts";
import { TEST_NATS_URL, natsAvailable } from "../../support/nats.ts";

export type ProviderInput = { id: string; role: "legacy" | "target"; origin: string; preserveHost?: boolean; jwksPath?: string };
export type RouterInstance = { port: number; origin: string; routes: RouteTable };

/** One request as a provider received it from a router: method, URL, headers and body text. */
export type Delivery = { provider: string; method: string; url: string; headers: [string, string][]; body: string };

const PIN_SECRET = `e2e-pin-${crypto.randomUUID()}-shared-by-every-router`;

/**
 * The proxy as it is deployed: N router instances, each a real HTTP server, over one database
 * (PGlite) and one pin secret. Instance 0 listens on the public URL's port; the others listen on
 * their own ports and a test reaches them as a load balancer would, with the public Host.
 * Commands run the way the API runs them and then refresh every instance, as the NATS hint does.
 * The instances share what they learn about credentials through a real NATS KV record (buckets
 * of their own, deleted at close), and every request a provider receives is kept in `deliveries`.
 */
export async function startRouterCluster(options: { publicPort: number; providers: ProviderInput[]; defaultProvider: string; instances: number }) {
  const publicUrl = `http://127.0.0.1:${options.publicPort}`;
  const config: Config = parseConfig({
    publicUrl,
    providers: options.providers.map((p) => ({ preset: "generic", timeoutMs: 5000, ...p })),
    defaultProvider: options.defaultProvider,
  });
  await natsAvailable();
  const bucketPrefix = `ssomig-e2e-${crypto.randomUUID().slice(0, 8)}`;
  const db: Database = await openPglite();
  const store = await openEventStore(db);
  const logs: Record<string, unknown>[] = [];
  const deliveries: Delivery[] = [];
  const instances: RouterInstance[] = [];
  const servers: { close(): Promise<void> }[] = [];
  const records: CredentialRecord[] = [];
  const providerAt = new Map(config.providers.map((p) => [new URL(p.origin).origin, p.id]));
  // What each provider receives: recorded on the way out of the router, the only path to a provider.
  const fetch = async (input: string, init: RequestInit) => {
    const body = init.body instanceof Uint8Array ? new TextDecoder().decode(init.body) : "";
    deliveries.push({ provider: providerAt.get(new URL(input).origin) ?? "unknown", method: init.method ?? "GET", url: input, headers: [...new Headers(init.headers).entries()], body });
    return globalThis.fetch(input, init);
  };

  async function startInstance(i: number, port: number): Promise<RouterInstance> {
    const routes = new RouteTable(routeSource(db));
    await routes.load();
    const credentials = natsCredentialRecord({ url: TEST_NATS_URL, bucketPrefix, ttlMs: ttlsOf(config), name: `e2e-router-${i}` });
    records[i] = credentials;
    await eventually(async () => credentials.available(), Boolean, 10_000);
    const app = createRouterApp({
      config,
      routes,
      forward: createForwarder({ publicUrl, fetch }),
      pins: pinCookies(PIN_SECRET, { providers: config.providers.map((p) => p.id) }),
      jwks: mergedJwks(config.providers, fetch),
      metrics: routerMetrics(),
      log: (entry) => logs.push({ instance: i, ...entry }),
      credentials,
    });
    const server = await serve({ port, hostname: "127.0.0.1", fetch: (request, env) => app.fetch(request, env) });
    servers[i] = server;
    return { port: server.port, origin: `http://127.0.0.1:${server.port}`, routes };
  }

  async function closeAll() {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(records.map((r) => r.close()));
    const nc = await connect({ servers: TEST_NATS_URL });
    const jsm = await nc.jetstreamManager();
    for (const kind of CREDENTIAL_KINDS) await jsm.streams.delete(`KV_${bucketPrefix}-${kind}`).catch(() => false);
    await nc.close();
    await db.close();
  }

  try {
    for (let i = 0; i < options.instances; i++) instances.push(await startInstance(i, i === 0 ? options.publicPort : 0));
  } catch (error) {
    await closeAll();
    throw error;
  }

  async function command(c: OrganizationCommand): Promise<void> {
    const reason = "reason" in c ? c.reason : null;
    await executeCommand({ store, providers: providerCatalog(config) }, c, { actor: "e2e", requestId: crypto.randomUUID(), reason }, () => ({ status: 200, body: null }));
    await Promise.all(instances.map((r) => r.routes.refresh()));
  }

  return {
    publicUrl,
    publicHost: new URL(publicUrl).host,
    instances,
    logs,
    deliveries,
    /** Stops instance `i` (its server, its NATS connection, everything it held in memory) and starts a fresh one on the same port. */
    async restart(i: number) {
      await servers[i]!.close();
      await records[i]!.close();
      const fresh = await startInstance(i, instances[i]!.port);
      instances[i]!.routes = fresh.routes;
    },
    register: (id: string, identifiers: Identifier[]) => command({ type: "RegisterOrganization", organizationId: id, name: id, identifiers }),
    migrate: (id: string) => command({ type: "MigrateOrganization", organizationId: id, reason: "e2e wave" }),
    rollBack: (id: string) => command({ type: "RollBackOrganization", organizationId: id, reason: "e2e rollback" }),
    providerOf: (id: string, instance = 0) => instances[instance]!.routes.providerOf(id),
    /** Puts an organization back on a provider (for cleanup, so one failing test leaves no state behind). */
    async restore(id: string, provider: "legacy" | "target") {
      const current = instances[0]!.routes.providerOf(id);
      if (current !== undefined && current !== provider) await command(provider === "target" ? { type: "MigrateOrganization", organizationId: id, reason: "e2e restore" } : { type: "RollBackOrganization", organizationId: id, reason: "e2e restore" });
    },
    /** A load balancer in front of the instances: requests for the public origin go to `pick()`'s instance. */
    balancer(pick: () => number): Dialer {
      return (url) => (url.origin === publicUrl ? { connectTo: instances[pick()]!.origin, host: url.host } : null);
    },
    /** The router's own error entries: a crash or an unhandled error shows here. */
    errors: () => logs.filter((entry) => entry.level === "error"),
    close: closeAll,
  };
}

export type RouterCluster = Awaited<ReturnType<typeof startRouterCluster>>;

/** Fails when any of `secrets` (or a long enough part of one) appears in what the router logged. */
export function leakedInto(logs: readonly Record<string, unknown>[], secrets: readonly string[]): string[] {
  const text = JSON.stringify(logs);
  const middle = (secret: string) => secret.slice(Math.floor(secret.length / 2) - 8, Math.floor(secret.length / 2) + 8);
  return secrets.filter((secret) => secret.length >= 8 && (text.includes(secret) || (secret.length >= 32 && text.includes(middle(secret)))));
}
