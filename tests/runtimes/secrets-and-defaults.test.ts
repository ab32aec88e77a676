import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { join } from "node:path";
import { mintToken } from "../../services/commands/tokens.ts";
import { eventually } from "../support/eventually.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { freePort, runtimeCommand, startService, tempDir, type ServiceProcess } from "../support/processes.ts";
import { randomSecret } from "../support/secrets.ts";

/**
 * The real service processes, their captured output grepped for secrets, their data directory
 * walked for modes, their listeners probed from another loopback address (127.0.0.2 reaches a
 * socket bound to every interface, never one bound to 127.0.0.1).
 */
const ROOT = new URL("../../", import.meta.url).pathname;
const PASSWORD = randomSecret("pw").replaceAll("-", "");
const AUTH_SECRET = randomSecret("auth");
let dir: ReturnType<typeof tempDir>;
let config: string;
let db: TestDatabase;
const running: ServiceProcess[] = [];

beforeAll(async () => {
  dir = tempDir();
  config = dir.write("config.json", JSON.stringify({ publicUrl: "http://localhost:8080", providers: [{ id: "legacy", role: "legacy", origin: "http://127.0.0.1:9" }, { id: "target", role: "target", origin: "http://127.0.0.1:9" }] }));
  db = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  await db.drop();
  dir.cleanup();
});

/** The test database's URL with a password in it (the server trusts local connections, so it is never checked). */
const databaseUrlWithPassword = () => {
  const url = new URL(db.url);
  url.password = PASSWORD;
  return url.toString();
};

async function start(script: string, env: Record<string, string>) {
  const service = await startService(script, { DATA_DIR: join(dir.path, crypto.randomUUID()), SSOMIG_CONFIG: config, API_PORT: "0", ROUTER_PORT: "0", ROUTER_ADMIN_PORT: "0", ...env }, 30_000);
  running.push(service);
  return service;
}

/** A service that is expected to stop by itself: its exit code and everything it printed. */
async function runToExit(script: string, env: Record<string, string>, timeoutMs = 20_000) {
  const child = Bun.spawn(runtimeCommand("bun", script), { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", DATA_DIR: join(dir.path, crypto.randomUUID()), ...env }, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  return { code, output: (stdout + stderr).trim() };
}

const reachable = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, host);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });

describe("credentials in NATS_URL and DATABASE_URL never reach the logs", () => {
  test("the API's banner, its warnings (NATS unreachable) and its request logs show the URLs with the password masked", async () => {
    const natsUrl = `nats://ssomig:${PASSWORD}@127.0.0.1:${await freePort()}`; // nothing listens: every hint fails and is logged
    const service = await start("services/commands/main.ts", { DATABASE_URL: databaseUrlWithPassword(), NATS_URL: natsUrl, AUTH_SECRET });
    const token = await mintToken(AUTH_SECRET, { subject: "ops@example.com", scopes: ["migrations:write"], ttlSeconds: 300 });
    const api = `http://127.0.0.1:${service.ports[0]}`;
    const post = (path: string, body: unknown) => fetch(`${api}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await post("/v1/organizations", { id: "acme", name: "Acme" })).status).toBe(201);
    expect((await fetch(`${api}/v1/organizations`, { headers: { authorization: "Bearer not.a.token" } })).status).toBe(401);
    await eventually(async () => service.output.join("\n"), (text) => text.includes("route hint not published"), 10_000);
    const output = service.output.join("\n");
    expect(output).toContain(`nats://ssomig:***@127.0.0.1`);
    expect(output).toContain(":***@127.0.0.1:5432");
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(token);
  }, 60_000);

  test("a router's banner and warnings mask them too", async () => {
    const natsUrl = `nats://${PASSWORD}@127.0.0.1:${await freePort()}`; // a NATS token in the user part
    const service = await start("services/router/main.ts", { DATABASE_URL: databaseUrlWithPassword(), NATS_URL: natsUrl, ROUTER_PIN_SECRET: randomSecret("pin") });
    expect(service.output.join("\n")).toContain("nats://***@127.0.0.1");
    expect(service.output.join("\n")).not.toContain(PASSWORD);
  }, 60_000);

  test("the error paths print one line without them: unreachable database, malformed URLs", async () => {
    const cases: { env: Record<string, string>; code: number; says: string }[] = [
      { env: { DATABASE_URL: `postgres://postgres:${PASSWORD}@127.0.0.1:${await freePort()}/nowhere` }, code: 69, says: "cannot reach the database" },
      { env: { DATABASE_URL: `postgres://postgres:${PASSWORD}@127.0.0.1:notaport/x` }, code: 78, says: "DATABASE_URL" },
      { env: { DATABASE_URL: `postgres://postgres:${PASSWORD}@[bad/x` }, code: 78, says: "DATABASE_URL" },
      { env: { NATS_URL: `nats://ssomig:${PASSWORD}@[bad` }, code: 78, says: "NATS_URL" },
      { env: { NATS_URL: `nats://ssomig:${PASSWORD}@127.0.0.1:4222,${PASSWORD}` }, code: 78, says: "NATS_URL" },
    ];
    for (const { env, code, says } of cases) {
      const answer = await runToExit("services/commands/main.ts", { SSOMIG_CONFIG: config, AUTH_SECRET, API_PORT: "0", ...env });
      expect({ env: Object.keys(env), code: answer.code, lines: answer.output.split("\n").length }).toEqual({ env: Object.keys(env), code, lines: 1 });
      expect(answer.output).toContain(says);
      expect(answer.output).not.toContain(PASSWORD);
    }
  }, 90_000);
});

describe("the embedded data directory is private", () => {
  test("after a start and some writes, every directory is 0700 and every file 0600, PGlite's included", async () => {
    // As an older version (or a hand-made setup) left them: open to others.
    const dataDir = join(dir.path, "private-data");
    mkdirSync(join(dataDir, "pglite"), { recursive: true });
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, "pglite"), 0o777);
    for (const name of ["auth.secret", "pin.secret"]) {
      writeFileSync(join(dataDir, name), `${randomBytes(32).toString("base64url")}\n`);
      chmodSync(join(dataDir, name), 0o644);
    }
    const service = await start("services/main.ts", { DATA_DIR: dataDir });
    const token = (await Bun.file(join(dataDir, "admin.token")).text()).trim();
    const api = `http://127.0.0.1:${service.ports[2]}`;
    const response = await fetch(`${api}/v1/organizations`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ id: "acme", name: "Acme" }) });
    expect(response.status).toBe(201);
    await service.stop();
    const loose: string[] = [];
    let files = 0;
    const walk = (path: string) => {
      const stat = lstatSync(path);
      const mode = stat.mode & 0o777;
      if (stat.isDirectory()) {
        if (mode !== 0o700) loose.push(`${path} ${mode.toString(8)}`);
        for (const entry of readdirSync(path)) walk(join(path, entry));
      } else {
        files++;
        if (mode !== 0o600) loose.push(`${path} ${mode.toString(8)}`);
      }
    };
    walk(dataDir);
    expect(files).toBeGreaterThan(500); // PGlite's cluster is in there
    expect(loose.slice(0, 5)).toEqual([]);
    expect(loose).toHaveLength(0);
  }, 60_000);
});

describe("production start", () => {
  test("refuses to start without SSOMIG_CONFIG (one line, exit 78) instead of using the demo providers", async () => {
    const pin = randomSecret("pin");
    for (const [script, env] of [
      ["services/commands/main.ts", { AUTH_SECRET, DATABASE_URL: db.url, API_PORT: "0" }],
      ["services/commands/main.ts", { AUTH_SECRET, API_PORT: "0" }],
      ["services/router/main.ts", { DATABASE_URL: db.url, ROUTER_PIN_SECRET: pin, ROUTER_PORT: "0", ROUTER_ADMIN_PORT: "0" }],
      ["services/main.ts", { DATABASE_URL: db.url, API_PORT: "0", ROUTER_PORT: "0", ROUTER_ADMIN_PORT: "0" }],
    ] as const) {
      const answer = await runToExit(script, env);
      expect({ script, code: answer.code, lines: answer.output.split("\n").length }).toEqual({ script, code: 78, lines: 1 });
      expect(answer.output).toContain("SSOMIG_CONFIG");
    }
  }, 90_000);
});

describe("listen addresses", () => {
  test("the embedded default binds the API and the admin port to 127.0.0.1 and the router to every interface", async () => {
    const service = await start("services/main.ts", {});
    const [router, admin, api] = service.ports as [number, number, number];
    expect(await reachable("127.0.0.1", api)).toBe(true);
    expect(await reachable("127.0.0.2", api)).toBe(false);
    expect(await reachable("127.0.0.2", admin)).toBe(false);
    expect(await reachable("127.0.0.2", router)).toBe(true);
  }, 60_000);

  test("API_HOST, ROUTER_HOST and ROUTER_ADMIN_HOST choose them", async () => {
    const service = await start("services/main.ts", { API_HOST: "0.0.0.0", ROUTER_HOST: "127.0.0.1", ROUTER_ADMIN_HOST: "0.0.0.0" });
    const [router, admin, api] = service.ports as [number, number, number];
    expect(await reachable("127.0.0.2", api)).toBe(true);
    expect(await reachable("127.0.0.2", admin)).toBe(true);
    expect(await reachable("127.0.0.2", router)).toBe(false);
    expect(await reachable("127.0.0.1", router)).toBe(true);
  }, 60_000);
});
