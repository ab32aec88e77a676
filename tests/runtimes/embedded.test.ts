import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startService, tempDir, type ServiceProcess } from "../support/processes.ts";
import { startUpstream, type Upstream } from "../support/router.ts";
import { eventually } from "../support/eventually.ts";

/** `npm start`'s process: the API, the router and PGlite in one, on a data directory of its own. */
let dir: ReturnType<typeof tempDir>;
let legacy: Upstream;
let target: Upstream;
let config: string;
const running: ServiceProcess[] = [];

beforeAll(() => {
  dir = tempDir();
  legacy = startUpstream("legacy");
  target = startUpstream("target");
  config = dir.write("config.json", JSON.stringify({ publicUrl: "http://localhost:8080", providers: [{ id: "legacy", role: "legacy", origin: legacy.origin }, { id: "target", role: "target", origin: target.origin }] }));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});
afterAll(() => {
  legacy.stop();
  target.stop();
  dir.cleanup();
});

async function embedded() {
  const service = await startService("services/main.ts", { DATA_DIR: join(dir.path, "data"), SSOMIG_CONFIG: config, API_PORT: "0", ROUTER_PORT: "0", ROUTER_ADMIN_PORT: "0" }, 30_000);
  running.push(service);
  const [routerPort, adminPort, apiPort] = service.ports as [number, number, number];
  const token = readFileSync(join(dir.path, "data", "admin.token"), "utf8").trim();
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${apiPort}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: response.status, body: (await response.json()) as any };
  };
  const route = async () => ((await (await fetch(`http://127.0.0.1:${routerPort}/authorize?login_hint=a@acme.com`)).json()) as { provider: string }).provider;
  return { service, api, route, routerPort, adminPort };
}

describe("the embedded default", () => {
  test("killed with SIGKILL and started again, it has lost nothing it acknowledged", async () => {
    const first = await embedded();
    expect((await first.api("POST", "/v1/organizations", { id: "acme", name: "Acme", identifiers: [{ kind: "domain", value: "acme.com" }] })).status).toBe(201);
    expect((await first.api("POST", "/v1/organizations/acme/migrate", { reason: "before the crash" })).status).toBe(200);
    await eventually(first.route, (p) => p === "target", 3000);
    first.service.kill("SIGKILL");
    await first.service.exited;

    const second = await embedded();
    expect((await second.api("GET", "/v1/organizations/acme")).body).toMatchObject({ provider: "target", version: 2 });
    expect((await second.api("GET", "/v1/organizations/acme/events")).body.events).toHaveLength(2);
    expect(await second.route()).toBe("target");
    expect((await second.api("GET", "/v1/replay/verify")).body.matched).toBe(true);
  }, 60_000);

  test("on SIGTERM it finishes the request in flight, then stops accepting and exits cleanly", async () => {
    const { service, routerPort, adminPort } = await embedded();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    legacy.requests.length = 0;
    legacy.handle(async () => {
      await released;
      return Response.json({ provider: "legacy", slow: true });
    });
    const inFlight = fetch(`http://127.0.0.1:${routerPort}/authorize?login_hint=slow@nowhere.example`);
    await eventually(async () => legacy.requests.length, (n) => n === 1, 5000);
    service.kill("SIGTERM");
    // Shutting down: the listeners are closed while the request is still waiting on its provider.
    await eventually(() => fetch(`http://127.0.0.1:${adminPort}/healthz`).then(() => "open", () => "closed"), (s) => s === "closed", 5000);
    release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ provider: "legacy", slow: true });
    expect(await service.exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${routerPort}/authorize`)).rejects.toThrow();
  }, 60_000);

  test("without SSOMIG_CONFIG the demo providers answer preflight: a connection they know passes, an unknown one fails, both recorded", async () => {
    const service = await startService("services/main.ts", { DATA_DIR: join(dir.path, "demo-data"), API_PORT: "0", ROUTER_PORT: "0", ROUTER_ADMIN_PORT: "0" }, 30_000);
    running.push(service);
    const apiPort = service.ports[2]!;
    const token = readFileSync(join(dir.path, "demo-data", "admin.token"), "utf8").trim();
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`http://127.0.0.1:${apiPort}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: response.status, body: (await response.json()) as any };
    };
    expect((await api("POST", "/v1/organizations", { id: "acme", name: "Acme", identifiers: [{ kind: "domain", value: "acme.com" }, { kind: "connection", value: "acme-okta" }] })).status).toBe(201);
    expect((await api("POST", "/v1/organizations", { id: "hooli", name: "Hooli", identifiers: [{ kind: "connection", value: "hooli-okta" }] })).status).toBe(201);

    const passing = await api("POST", "/v1/organizations/acme/preflight");
    expect(passing.status).toBe(200);
    expect(passing.body).toMatchObject({
      provider: "target",
      passed: true,
      checks: [
        { kind: "domain", value: "acme.com", passed: true, detail: "redirects to the IdP at acme.idp.example" },
        { kind: "connection", value: "acme-okta", passed: true, detail: "redirects to the IdP at acme.idp.example" },
      ],
    });
    const failing = await api("POST", "/v1/organizations/hooli/preflight");
    expect(failing.body).toMatchObject({ provider: "target", passed: false, checks: [{ kind: "connection", value: "hooli-okta", passed: false, detail: "error redirect: invalid_request" }] });
    const events = await api("GET", "/v1/events?type=PreflightRecorded");
    expect(events.body.events.map((e: any) => [e.data.organizationId, e.data.passed])).toEqual([["acme", true], ["hooli", false]]);
    // A passing preflight lets `migrate` with requirePreflight through; the failing one does not.
    expect((await api("POST", "/v1/organizations/acme/migrate", { reason: "wave 1", requirePreflight: true })).status).toBe(200);
    expect((await api("POST", "/v1/organizations/hooli/migrate", { reason: "wave 1", requirePreflight: true })).body.code).toBe("preflight_required");
  }, 60_000);
});
