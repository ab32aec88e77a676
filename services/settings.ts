import { readFile } from "node:fs/promises";
import process from "node:process";
import { ConfigError } from "../shared/errors.ts";
import { isConnectionError } from "../db/sql.ts";
import { demoConfig, parseConfig, type Config } from "../shared/config.ts";

/** The only reader of the environment; every variable is documented in the README's table. */
export const env = (name: string): string | undefined => {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
};

export function portFrom(name: string, fallback: number): number {
  const raw = env(name);
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(name, `must be a port number, got ${raw}`);
  return port;
}

export const dataDir = (): string => env("DATA_DIR") ?? ".data";

/** SSOMIG_CONFIG names a JSON file; without it, the embedded default's two demo providers. */
export async function loadConfig(): Promise<{ config: Config; source: string }> {
  const path = env("SSOMIG_CONFIG");
  if (path === undefined) return { config: demoConfig(), source: "demo providers (no SSOMIG_CONFIG)" };
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new ConfigError("SSOMIG_CONFIG", `cannot read ${path}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError("SSOMIG_CONFIG", `${path} is not valid JSON (${(error as Error).message})`);
  }
  return { config: parseConfig(json, `SSOMIG_CONFIG ${path}:`), source: path };
}

/** Runs a service's start-up; a configuration error ends the process with one clear line, not a stack. */
export async function startOrExit(start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`ssomigrate: configuration error: ${error.message}`);
      process.exit(78); // EX_CONFIG
    }
    if (isConnectionError(error)) {
      console.error(`ssomigrate: cannot reach the database (DATABASE_URL): ${(error as Error).message}`);
      process.exit(69); // EX_UNAVAILABLE: a supervisor restarts it once the database is back
    }
    throw error;
  }
}

export function positiveIntFrom(name: string, fallback: number): number {
  const raw = env(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(name, `must be a positive integer, got ${raw}`);
  return value;
}

export const natsPrefix = (): string => {
  const prefix = env("SSOMIG_NATS_PREFIX") ?? "ssomig";
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) throw new ConfigError("SSOMIG_NATS_PREFIX", "must be NATS subject tokens (letters, digits, _ or -, separated by dots)");
  return prefix;
};

/** ROUTER_ACCESS_LOG: "on" (default) or "off". */
export function accessLogFrom(): boolean {
  const value = env("ROUTER_ACCESS_LOG") ?? "on";
  if (value !== "on" && value !== "off") throw new ConfigError("ROUTER_ACCESS_LOG", `must be on or off, got ${value}`);
  return value === "on";
}

/** The router's bounds on the two ends it does not control (README: Configuration). */
export function routerTimeoutsFrom(): { bodyTimeoutMs: number; upstreamIdleMs: number } {
  return { bodyTimeoutMs: positiveIntFrom("ROUTER_BODY_TIMEOUT_MS", 10_000), upstreamIdleMs: positiveIntFrom("ROUTER_UPSTREAM_IDLE_MS", 10_000) };
}
