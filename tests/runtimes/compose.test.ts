import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadSettings, SETTING_NAMES, type Service } from "../../services/settings.ts";
import { randomSecret } from "../support/secrets.ts";

/** docker-compose.yml, as `docker-compose config` resolves it (Debian's docker-compose package), checked against the code. */
const ROOT = new URL("../../", import.meta.url).pathname;
const SECRETS = { POSTGRES_PASSWORD: randomSecret("pg"), ROUTER_PIN_SECRET: randomSecret("pin") };

async function compose(args: string[], env: Record<string, string>) {
  const binary = Bun.which("docker-compose");
  if (!binary) throw new Error("this test validates docker-compose.yml with `docker-compose config` (Debian package docker-compose): install it");
  const child = Bun.spawn([binary, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}

type ComposeService = { build?: unknown; command?: string[]; environment?: Record<string, string | null>; ports?: { published: number | string; target: number }[] };

describe("docker-compose.yml", () => {
  test("is valid, and refuses to resolve without POSTGRES_PASSWORD or ROUTER_PIN_SECRET", async () => {
    expect(await compose(["config", "-q"], SECRETS)).toMatchObject({ code: 0, stderr: "" });
    const missing = await compose(["config", "-q"], { ROUTER_PIN_SECRET: SECRETS.ROUTER_PIN_SECRET });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("POSTGRES_PASSWORD");
    expect((await compose(["config", "-q"], { POSTGRES_PASSWORD: SECRETS.POSTGRES_PASSWORD })).stderr).toContain("ROUTER_PIN_SECRET");
  });

  test("its services run entry points that exist, with variables the code reads and accepts", async () => {
    const resolved = await compose(["config"], { ...SECRETS, AUTH_SECRET: randomSecret("auth") });
    expect(resolved.code).toBe(0);
    const services = (Bun.YAML.parse(resolved.stdout) as { services: Record<string, ComposeService> }).services;
    const ours = Object.entries(services).filter(([, s]) => s.build !== undefined);
    expect(ours.map(([name]) => name).sort()).toEqual(["api", "router-1", "router-2", "upstreams"]);
    const kinds: Record<string, Service> = { "services/commands/main.ts": "api", "services/router/main.ts": "router" };
    for (const [name, service] of ours) {
      const script = service.command!.find((part) => part.endsWith(".ts"))!;
      expect({ name, exists: existsSync(join(ROOT, script)) }).toEqual({ name, exists: true });
      const environment = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, v ?? ""]));
      expect({ name, unknown: Object.keys(environment).filter((k) => !SETTING_NAMES.includes(k)) }).toEqual({ name, unknown: [] });
      if (kinds[script]) expect(() => loadSettings(environment, kinds[script]!)).not.toThrow();
    }
  });

  test("publishes only the routers' public port to the host: not the API, not the admin ports", async () => {
    const resolved = await compose(["config"], SECRETS);
    const services = (Bun.YAML.parse(resolved.stdout) as { services: Record<string, ComposeService> }).services;
    const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name}:${p.target}`));
    expect(published.sort()).toEqual(["router-1:8080", "router-2:8080"]);
  });
});
