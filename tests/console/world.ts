import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { eventually } from "../support/eventually.ts";
import { natsAvailable, TEST_NATS_URL } from "../support/nats.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { startService, tempDir, type ServiceProcess } from "../support/processes.ts";
import { startUpstream, type Upstream } from "../support/router.ts";
import { unique } from "../support/unique.ts";

/** Debian's chromium (`.ci/run` installs it); playwright-core drives it, it downloads no browser of its own. */
export const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export async function launchChromium(): Promise<Browser> {
  if (!(await Bun.file(CHROMIUM).exists())) throw new Error(`the console's browser tests need ${CHROMIUM} (Debian package chromium; .ci/run installs it)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * The embedded default as an operator runs it, on the real PostgreSQL and NATS: API, console and
 * router in one process (`services/main.ts`), two real upstream servers as providers. The
 * one-time sign-in link is read from what the process printed, as an operator would.
 */
export type ConsoleWorld = {
  api: string;
  /** The world's own PostgreSQL database (the screenshot script adds login outcomes to it). */
  databaseUrl: string;
  router: string;
  routerAdmin: string;
  signInLink: string;
  service: ServiceProcess;
  /** Calls the API with the embedded admin token (setting the scene, not what is under test). */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  routedTo(loginHint: string): Promise<string>;
  close(): Promise<void>;
};

export async function startConsoleWorld(): Promise<ConsoleWorld> {
  await natsAvailable();
  const db: TestDatabase = await createTestDatabase();
  const legacy: Upstream = startUpstream("legacy");
  const target: Upstream = startUpstream("target");
  const dir = tempDir();
  let service: ServiceProcess | null = null;
  try {
    const config = dir.write("config.json", JSON.stringify({ publicUrl: "http://localhost:8080", providers: [{ id: "legacy", role: "legacy", origin: legacy.origin }, { id: "target", role: "target", origin: target.origin, preflight: { clientId: "ssomig-preflight", redirectUri: "http://localhost:8080/callback" } }] }));
    service = await startService(
      "services/main.ts",
      { DATA_DIR: join(dir.path, "data"), SSOMIG_CONFIG: config, DATABASE_URL: db.url, NATS_URL: TEST_NATS_URL, SSOMIG_NATS_PREFIX: unique("console").replace(/-/g, "_"), API_PORT: "0", ROUTER_PORT: "0", ROUTER_ADMIN_PORT: "0", GUARD: "off" },
      60_000,
    );
    const started = service;
    const [routerPort, adminPort, apiPort] = started.ports as [number, number, number];
    const linkLine = await eventually(async () => started.output.find((line) => line.includes("/console/sign-in?link=")), (line) => line !== undefined, 10_000);
    const path = /\/console\/sign-in\?link=[A-Za-z0-9_-]+/.exec(linkLine!)![0];
    const api = `http://127.0.0.1:${apiPort}`;
    const token = readFileSync(join(dir.path, "data", "admin.token"), "utf8").trim();
    const router = `http://127.0.0.1:${routerPort}`;
    return {
      api,
      databaseUrl: db.url,
      router,
      routerAdmin: `http://127.0.0.1:${adminPort}`,
      signInLink: `${api}${path}`,
      service: started,
      async call(method, path, body) {
        const response = await fetch(`${api}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
        return { status: response.status, body: await response.json() };
      },
      async routedTo(loginHint) {
        const answer = await fetch(`${router}/authorize?login_hint=${encodeURIComponent(loginHint)}&client_id=app`);
        return ((await answer.json()) as { provider: string }).provider;
      },
      async close() {
        await started.stop();
        legacy.stop();
        target.stop();
        await db.drop();
        dir.cleanup();
      },
    };
  } catch (error) {
    await service?.stop();
    legacy.stop();
    target.stop();
    await db.drop();
    dir.cleanup();
    throw error;
  }
}

const AXE = readFileSync(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");

export type AxeViolation = { id: string; impact: string | null; help: string; nodes: { target: string[] }[] };

/** axe-core's serious and critical findings on the page as it is now (WCAG 2.x A and AA rules, best practices). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // The console's CSP forbids inline scripts, so axe is evaluated through the driver (which CSP does not govern).
  await page.evaluate(AXE);
  const violations = (await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ["violations"] })).violations;
  })) as AxeViolation[];
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}
