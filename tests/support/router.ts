import { parseConfig, type Config } from "../../shared/config.ts";
import { openEventStore, type EventStore } from "../../db/event-store.ts";
import { openPglite } from "../../db/pglite.ts";
import { routeSource } from "../../db/route-source.ts";
import type { Database } from "../../db/sql.ts";
import { createRouterApp } from "../../services/router/app.ts";
import { createForwarder, type Fetch } from "../../services/router/forward.ts";
import { mergedJwks } from "../../services/router/merged-jwks.ts";
import { routerMetrics, type RouterMetrics } from "../../services/router/metrics.ts";
import { pinCookies } from "../../services/router/pin-cookie.ts";
import { forceRoutes } from "../../services/router/force-route.ts";
import { RouteTable } from "../../services/router/route-table.ts";
import { demoUpstream } from "../../services/demo-upstreams/app.ts";
import { serve } from "../../services/runtime/serve.ts";
import type { Identifier } from "../../shared/identifiers.ts";
import { executeCommand } from "../../services/commands/execute-command.ts";
import { randomSecret } from "./secrets.ts";
import type { CredentialRecord } from "../../services/bus/credential-record.ts";
import type { CredentialRouting } from "../../services/router/credential-routing.ts";
import { providerCatalog } from "../../shared/config.ts";
import type { OrganizationCommand } from "../../shared/commands.ts";

export const PUBLIC_URL = "https://auth.example.test";
export const PIN_SECRET = randomSecret("pin");

/** A real HTTP server standing in for a provider; `handler` defaults to the demo echo. */
export type Upstream = { port: number; origin: string; requests: Request[]; stop(): void; handle(h: (r: Request) => Response | Promise<Response>): void };

export function startUpstream(name: string): Upstream {
  let handler: (r: Request) => Response | Promise<Response> = demoUpstream(name);
  const requests: Request[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (r) => {
      requests.push(r.clone());
      return handler(r);
    },
  });
  return {
    port: server.port!,
    origin: `http://127.0.0.1:${server.port}`,
    requests,
    stop: () => void server.stop(true),
    handle(h) {
      handler = h;
    },
  };
}

export type LogEntry = Record<string, unknown>;

/**
 * A router over a real PGlite projection and two real upstream servers (legacy, target), with
 * commands run the way the API runs them. Each instance from `router()` shares the database and
 * pin secret, as router replicas do.
 */
export async function routerHarness(options: { presets?: { legacy?: string; target?: string }; extraProviderConfig?: Record<string, unknown>; maxBodyBytes?: number; fetch?: Fetch; credentials?: Record<string, unknown> } = {}) {
  const legacy = startUpstream("legacy");
  const target = startUpstream("target");
  const config: Config = parseConfig({
    publicUrl: PUBLIC_URL,
    providers: [
      { id: "legacy", role: "legacy", preset: options.presets?.legacy ?? "generic", origin: legacy.origin, timeoutMs: 2000, ...options.extraProviderConfig },
      { id: "target", role: "target", preset: options.presets?.target ?? "generic", origin: target.origin, timeoutMs: 2000, ...options.extraProviderConfig },
    ],
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  const db: Database = await openPglite();
  const store: EventStore = await openEventStore(db);
  const logs: LogEntry[] = [];
  const instances: RouteTable[] = [];

  /** `credentials`: the record this instance shares (instances share nothing unless given the same one). */
  function router(instance: { credentials?: CredentialRecord } = {}) {
    const routes = new RouteTable(routeSource(db));
    instances.push(routes);
    const metrics: RouterMetrics = routerMetrics();
    let credentialRouting: CredentialRouting | null = null;
    const fetch = options.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
    const app = createRouterApp({
      config,
      routes,
      forward: createForwarder({ publicUrl: PUBLIC_URL, fetch }),
      pins: pinCookies(PIN_SECRET, { providers: ["legacy", "target"] }),
      forceRoutes: forceRoutes(PIN_SECRET, { providers: ["legacy", "target"] }),
      jwks: mergedJwks(config.providers, fetch),
      metrics,
      log: (entry) => logs.push(entry),
      ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
      ...(instance.credentials ? { credentials: instance.credentials } : {}),
      onCredentialRouting: (routing) => (credentialRouting = routing),
    });
    return { app, routes, metrics, credentialStats: () => credentialRouting!.stats() };
  }

  /** Runs a command and refreshes every router instance, as the propagation hint would. */
  async function command(c: OrganizationCommand) {
    await executeCommand({ store, providers: providerCatalog(config) }, c, { actor: "test", requestId: crypto.randomUUID(), reason: "reason" in c ? c.reason : null }, () => ({ status: 200, body: null }));
    await Promise.all(instances.map((r) => r.refresh()));
  }

  return {
    config,
    legacy,
    target,
    db,
    store,
    logs,
    router,
    register: (id: string, identifiers: Identifier[]) => command({ type: "RegisterOrganization", organizationId: id, name: id, identifiers }),
    migrate: (id: string) => command({ type: "MigrateOrganization", organizationId: id, reason: "test" }),
    rollBack: (id: string) => command({ type: "RollBackOrganization", organizationId: id, reason: "test" }),
    command,
    async close() {
      legacy.stop();
      target.stop();
      await db.close();
    },
  };
}

export type RouterHarness = Awaited<ReturnType<typeof routerHarness>>;

/** A harness with one router instance served on a real loopback port (for raw-socket and fetch tests). */
export async function servedRouter() {
  const h = await routerHarness();
  const app = h.router().app;
  const server = await serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  return {
    h,
    app,
    server,
    base: `http://127.0.0.1:${server.port}`,
    async close() {
      await server.close();
      await h.close();
    },
  };
}

/** The demo upstream's echo of a forwarded request. */
export type Echo = { provider: string; method: string; path: string; query: string; bodySha256: string; headers: Record<string, string> };

export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});
