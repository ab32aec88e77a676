import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runtimeCommand, startService, tempDir, type Runtime, type ServiceProcess } from "../support/processes.ts";
import { randomSecret } from "../support/secrets.ts";
import { startUpstream, type Upstream } from "../support/router.ts";
import { sniUpstream } from "./test-certificates.ts";
import { eventually } from "../support/eventually.ts";

/**
 * The embedded service (`npm start`) as its own process on each runtime, in front of an HTTPS
 * edge that answers only to the public host's server name (certificate from a CA made for this
 * run, trusted through the provider's caFile only) and needs an Auth0-style secret header.
 * Everything the process prints is kept and searched for the secret.
 */
const PUBLIC_HOST = "auth.example.test";
const SECRET = randomSecret("cname-api-key");
let edge: Awaited<ReturnType<typeof sniUpstream>>;
let target: Upstream;
let dir: ReturnType<typeof tempDir>;
let configFile: string;

beforeAll(async () => {
  edge = await sniUpstream(PUBLIC_HOST);
  target = startUpstream("target");
  dir = tempDir();
  const caFile = dir.write("edge-ca.pem", edge.ca);
  configFile = dir.write(
    "config.json",
    JSON.stringify({
      publicUrl: `https://${PUBLIC_HOST}`,
      // The test's loopback peer is not a trusted proxy: its X-Forwarded-For must be ignored.
      trustedProxies: { cidrs: ["10.0.0.0/8"] },
      providers: [
        {
          id: "auth0",
          role: "legacy",
          preset: "auth0",
          origin: edge.origin,
          serverName: PUBLIC_HOST,
          hostHeader: PUBLIC_HOST,
          caFile,
          headers: { "cname-api-key": { fromEnv: "TEST_AUTH0_CNAME_API_KEY" } },
          clientIpHeader: "true-client-ip",
          timeoutMs: 1000,
        },
        { id: "scalekit", role: "target", preset: "scalekit", origin: target.origin, preserveHost: true },
      ],
    }),
  );
});
afterAll(() => {
  edge?.stop();
  target?.stop();
  dir?.cleanup();
});

const serviceEnv = (name: string) => ({ DATA_DIR: join(dir.path, name), SSOMIG_CONFIG: configFile, API_PORT: "0", ROUTER_PORT: "0", ROUTER_ADMIN_PORT: "0" });

for (const runtime of ["bun", "node", "deno"] as Runtime[]) {
  describe(`on ${runtime}`, () => {
    let service: ServiceProcess;
    beforeAll(async () => {
      service = await startService("services/main.ts", { ...serviceEnv(runtime), TEST_AUTH0_CNAME_API_KEY: SECRET }, 45_000, runtime);
    }, 60_000);
    afterAll(() => service?.stop(), 15_000);

    test("a provider reached over plain HTTP gets the public Host with preserveHost (Deno's fetch used to drop it)", async () => {
      const [routerPort, , apiPort] = service.ports as [number, number, number];
      const token = readFileSync(join(dir.path, runtime, "admin.token"), "utf8").trim();
      const api = (path: string, body: unknown) =>
        fetch(`http://127.0.0.1:${apiPort}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      expect((await api("/v1/organizations", { id: "acme", name: "Acme", identifiers: [{ kind: "domain", value: "acme.com" }] })).status).toBe(201);
      expect((await api("/v1/organizations/acme/migrate", { reason: "test" })).status).toBe(200);
      const echo = await eventually(
        async () => (await (await fetch(`http://127.0.0.1:${routerPort}/authorize?login_hint=jane@acme.com`)).json()) as { provider: string; headers: Record<string, string> },
        (e) => e.provider === "target",
        5000,
      );
      expect(echo.headers.host).toBe(PUBLIC_HOST);
      expect(echo.headers["cname-api-key"]).toBeUndefined();
    }, 30_000);

    test("the edge gets its server name, Host, secret header and the client IP; the client's own copies are dropped; the secret is never printed", async () => {
      const [routerPort, adminPort] = service.ports as [number, number];
      const response = await fetch(`http://127.0.0.1:${routerPort}/authorize?client_id=app`, {
        headers: { "cname-api-key": "chosen-by-the-client", "true-client-ip": "6.6.6.6", "x-forwarded-for": "6.6.6.6" },
      });
      expect(response.status).toBe(200);
      const echo = (await response.json()) as { provider: string; headers: Record<string, string> };
      expect(echo.provider).toBe("sni");
      expect(echo.headers.host).toBe(PUBLIC_HOST);
      expect(echo.headers["cname-api-key"]).toBe(SECRET);
      expect(echo.headers["true-client-ip"]).toBe("127.0.0.1");

      // An upstream timeout is logged as an error; nothing about it may carry the secret.
      const timedOut = await fetch(`http://127.0.0.1:${routerPort}/hang`);
      expect(timedOut.status).toBe(504);
      const problem = await timedOut.text();
      const status = await (await fetch(`http://127.0.0.1:${adminPort}/status`)).text();
      const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      await service.stop();
      const printed = service.output.join("\n");
      expect(printed).toContain("504"); // the log was captured: the search below is not vacuous
      for (const text of [printed, problem, status, metrics]) expect(text).not.toContain(SECRET);
    }, 30_000);
  });
}

describe("a missing header variable", () => {
  test("stops the start with exit 78 and a line naming the setting and the variable", async () => {
    const child = Bun.spawn(runtimeCommand("bun", "services/main.ts"), { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...serviceEnv("missing") }, stdout: "pipe", stderr: "pipe" });
    const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
    expect(code).toBe(78);
    expect(stderr).toContain("providers.0.headers.cname-api-key: environment variable TEST_AUTH0_CNAME_API_KEY is not set");
  }, 30_000);
});
