import { readFile } from "node:fs/promises";
import process from "node:process";
import { z } from "zod";
import { ConfigError } from "../shared/errors.ts";
import { isConnectionError } from "../db/sql.ts";
import { demoConfig, parseConfig, type Config } from "../shared/config.ts";
import type { ProviderHeaderValues } from "./router/provider-headers.ts";
import { redactUrl, scrubber, secretsIn } from "./redact.ts";
import type { GuardPolicy } from "../shared/guard-policy.ts";
import { SCOPES, type Scope } from "./commands/auth.ts";

/** The guard's thresholds and how often it looks; null when GUARD=off. */
export type GuardSettings = { policy: GuardPolicy; intervalMs: number } | null;

/**
 * `migrate` refuses without a passing preflight newer than `maxAgeMinutes` when `required` (or
 * when the command asks). A preflight's probes get `budgetMs` in all: with an Idempotency-Key
 * they run inside the transaction that claimed it, which must not look stuck to the store.
 */
export type PreflightPolicy = { required: boolean; maxAgeMinutes: number; budgetMs: number };

/** Which entry point is starting: the defaults and the required settings differ. */
export type Service = "embedded" | "api" | "router";

/** How the API checks its bearer tokens (one mode; the first of these variables that is set wins). */
export type AuthSettings = { issuer?: string; audience?: string } & (
  | { mode: "jwks"; jwksUrl: string }
  | { mode: "public_key"; pem: string; algorithm: string }
  | { mode: "secret"; secret: string }
  | { mode: "development" }
);

/**
 * The console's production sign-in (CONSOLE_OIDC_*): the company's own IdP, authorization code +
 * PKCE. The shape of `oidcSignInRoutes`' options, so the composition root can spread it in.
 */
export type ConsoleOidcSettings = {
  issuer: string;
  clientId: string;
  /** Absent: a public client (PKCE only). A secret: never logged (it is in `secrets`). */
  clientSecret?: string;
  /** Registered at the IdP; its path ends with /console/auth/oidc/callback. */
  redirectUrl: string;
  scopes: readonly string[];
  /** Where the person's roles are: a claim of the ID token or userinfo (`groups`, `roles`...), or `scope` (the scopes granted). */
  rolesClaim: string;
  /** Role (claim value) -> the API scopes it grants. */
  roleMap: ReadonlyMap<string, readonly Scope[]>;
  /** Key for the sign-in's transient cookie; absent: a random key per process (one API replica only). */
  cookieSecret?: string;
  /** The bound on every call to the IdP (discovery, keys, token, userinfo). */
  timeoutMs: number;
};

export type Settings = {
  service: Service;
  dataDir: string;
  /** SSOMIG_CONFIG; undefined only in the embedded default (demo providers). */
  configPath?: string;
  databaseUrl?: string;
  natsUrl?: string;
  natsPrefix: string;
  api: { host: string; port: number };
  router: { host: string; port: number };
  routerAdmin: { host: string; port: number };
  routerPinSecret?: string;
  routePollMs: number;
  routerAccessLog: boolean;
  idempotencyKeyTtlHours: number;
  /** DATABASE_TIMEOUT_MS: the server-side statement timeout; the client gives up a second later. */
  databaseTimeoutMs: number;
  /** HORIZON_MAX_AGE_MS: how long a committed write may stay unreadable behind an open transaction before routers report degraded. */
  horizonMaxAgeMs: number;
  /** NATS_PING_INTERVAL_MS: two unanswered pings mark the bus disconnected. */
  natsPingIntervalMs: number;
  /** The router's bounds on the two ends it does not control: a request body's arrival, a provider body's silences. */
  routerTimeouts: { bodyTimeoutMs: number; upstreamIdleMs: number };
  /** OUTCOME_FLUSH_MS: how often a router ships its login outcome counts. */
  outcomeFlushMs: number;
  /** OUTCOME_RETENTION_DAYS: how long the API keeps them. */
  outcomeRetentionDays: number;
  /** The guard (GUARD=off: null): its thresholds and how often it looks. */
  guard: GuardSettings;
  /** PREFLIGHT_REQUIRED / PREFLIGHT_MAX_AGE_MINUTES. */
  preflightPolicy: PreflightPolicy;
  auth: AuthSettings;
  /** The operators' console: `oidc` null when no CONSOLE_OIDC_* variable is set; `sessionSecret` (CONSOLE_SESSION_SECRET) signs its sessions (unset: a random key per process). */
  console: { oidc: ConsoleOidcSettings | null; sessionSecret?: string };
  /** Values no log line may carry (URL passwords, signing secrets): every logger masks them. */
  secrets: string[];
};

const LOOPBACK = "127.0.0.1";
const ALL_INTERFACES = "0.0.0.0";
const PUBLIC_KEY_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"] as const;

const optional = z.string().optional().transform((v) => (v === undefined || v === "" ? undefined : v));
const integer = (fallback: number, min: number, max: number, message: string) =>
  optional.transform((v, ctx) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (/^\d+$/.test(v) && n >= min && n <= max) return n;
    ctx.issues.push({ code: "custom", message, input: v });
    return z.NEVER;
  });
const port = (fallback: number) => integer(fallback, 0, 65535, "must be a port number (0 to 65535)");
const positive = (fallback: number) => integer(fallback, 1, Number.MAX_SAFE_INTEGER, "must be a positive integer");
const host = optional.refine((v) => v === undefined || /^[A-Za-z0-9.:_%-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(v), "must be an IP address or a host name (e.g. 127.0.0.1, 0.0.0.0, ::)");
const onOff = optional.refine((v) => v === undefined || v === "on" || v === "off", "must be on or off");
const secret32 = optional.refine((v) => v === undefined || new TextEncoder().encode(v).length >= 32, "must be at least 32 bytes");
const url = (schemes: readonly string[], example: string) =>
  optional.refine(
    (v) => v === undefined || v.split(",").every((part) => URL.canParse(part.trim()) && schemes.includes(new URL(part.trim()).protocol)),
    `must be a URL like ${example}`,
  );
/** An https URL, or http on this machine only (a development IdP): sign-in never crosses a network in clear. */
const webUrl = (example: string) =>
  optional.refine((v) => v === undefined || isWebUrl(v), `must be an https URL like ${example} (http only for localhost), without query or fragment`);
function isWebUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.search || url.hash || url.username || url.password) return false;
  return url.protocol === "https:" || (url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname));
}
const OIDC_CALLBACK_PATH = "/console/auth/oidc/callback";

/** `role=scope,role=scope`: a role may appear more than once to grant several scopes. */
const roleMap = optional.transform((v, ctx) => {
  if (v === undefined) return undefined;
  const map = new Map<string, Scope[]>();
  for (const [i, entry] of v.split(",").entries()) {
    const eq = entry.lastIndexOf("=");
    const role = entry.slice(0, eq).trim();
    const scope = entry.slice(eq + 1).trim();
    if (eq === -1 || role === "" || !(SCOPES as readonly string[]).includes(scope)) {
      ctx.issues.push({ code: "custom", message: `entry ${i + 1} must be role=scope, the scope one of ${SCOPES.join(", ")} (e.g. ssomig-admins=admin,ssomig-operators=migrations:write)`, input: v });
      return z.NEVER;
    }
    map.set(role, [...new Set([...(map.get(role) ?? []), scope as Scope])]);
  }
  return map;
});

/** Every variable the services read, by name: an issue's path is the variable to name in the error. */
const ENVIRONMENT = z.object({
  DATA_DIR: optional,
  SSOMIG_CONFIG: optional,
  DATABASE_URL: url(["postgres:", "postgresql:"], "postgres://user:password@host:5432/database"),
  NATS_URL: url(["nats:", "tls:", "ws:", "wss:"], "nats://host:4222 (comma-separated for a cluster)"),
  SSOMIG_NATS_PREFIX: optional.refine((v) => v === undefined || /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(v), "must be NATS subject tokens (letters, digits, _ or -, separated by dots)"),
  API_HOST: host,
  API_PORT: port(8081),
  ROUTER_HOST: host,
  ROUTER_PORT: port(8080),
  ROUTER_ADMIN_HOST: host,
  ROUTER_ADMIN_PORT: port(9090),
  ROUTER_PIN_SECRET: secret32,
  ROUTE_POLL_MS: positive(1000),
  ROUTER_ACCESS_LOG: onOff,
  IDEMPOTENCY_KEY_TTL_HOURS: positive(168),
  DATABASE_TIMEOUT_MS: positive(10_000),
  HORIZON_MAX_AGE_MS: positive(30_000),
  NATS_PING_INTERVAL_MS: positive(5_000),
  ROUTER_BODY_TIMEOUT_MS: positive(10_000),
  ROUTER_UPSTREAM_IDLE_MS: positive(10_000),
  OUTCOME_FLUSH_MS: positive(5_000),
  OUTCOME_RETENTION_DAYS: positive(30),
  GUARD: onOff,
  GUARD_WINDOW_MINUTES: positive(30),
  GUARD_MIN_FAILURES: positive(5),
  GUARD_FAILURE_PERCENT: integer(50, 1, 100, "must be a percentage (1 to 100)"),
  GUARD_WORSE_BY_PERCENT: integer(20, 1, 100, "must be a percentage (1 to 100)"),
  GUARD_INTERVAL_MS: positive(15_000),
  PREFLIGHT_REQUIRED: onOff,
  PREFLIGHT_MAX_AGE_MINUTES: positive(60),
  AUTH_JWKS_URL: url(["https:", "http:"], "https://idp.example.com/.well-known/jwks.json"),
  AUTH_PUBLIC_KEY: optional,
  AUTH_PUBLIC_KEY_ALG: optional.refine((v) => v === undefined || (PUBLIC_KEY_ALGORITHMS as readonly string[]).includes(v), `must be one of ${PUBLIC_KEY_ALGORITHMS.join(", ")}`),
  AUTH_SECRET: secret32,
  AUTH_ISSUER: optional,
  AUTH_AUDIENCE: optional,
  CONSOLE_OIDC_ISSUER: webUrl("https://login.example.com/realms/ops"),
  CONSOLE_OIDC_CLIENT_ID: optional,
  CONSOLE_OIDC_CLIENT_SECRET: optional,
  CONSOLE_OIDC_REDIRECT_URL: webUrl(`https://ssomig.example.com${OIDC_CALLBACK_PATH}`).refine((v) => v === undefined || new URL(v).pathname.endsWith(OIDC_CALLBACK_PATH), `must end with ${OIDC_CALLBACK_PATH} (where the console serves the IdP's answer)`),
  CONSOLE_OIDC_SCOPES: optional.refine((v) => v === undefined || v.split(/\s+/).includes("openid"), "must be space-separated scopes including openid (e.g. openid email profile groups)"),
  CONSOLE_OIDC_ROLES_CLAIM: optional.refine((v) => v === undefined || /^[\x21-\x7e]+$/.test(v), "must be a claim name (e.g. groups, roles, scope, realm_access.roles)"),
  CONSOLE_OIDC_ROLE_MAP: roleMap,
  CONSOLE_OIDC_COOKIE_SECRET: secret32,
  CONSOLE_OIDC_TIMEOUT_MS: positive(10_000),
  CONSOLE_SESSION_SECRET: secret32,
});

/** Settings whose values are secrets: every logger and every start-up failure masks them (with DATABASE_URL's and NATS_URL's passwords). */
const SECRET_SETTINGS = ["AUTH_SECRET", "ROUTER_PIN_SECRET", "CONSOLE_OIDC_CLIENT_SECRET", "CONSOLE_OIDC_COOKIE_SECRET", "CONSOLE_SESSION_SECRET"] as const;

/** The names of every variable the services read (docker-compose's environments are checked against it). */
export const SETTING_NAMES: readonly string[] = Object.keys(ENVIRONMENT.shape);

/**
 * Reads every setting once, before anything opens a file, a socket or a database. Fails with a
 * ConfigError naming the first bad variable (startOrExit prints it as one line, exit 78). Nothing
 * in an error repeats a value: a URL may hold a password.
 */
export function loadSettings(environment: Record<string, string | undefined>, service: Service): Settings {
  const parsed = ENVIRONMENT.safeParse(environment);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? "environment"), issue.message);
  }
  const e = parsed.data;
  const production = service !== "embedded" || e.DATABASE_URL !== undefined;
  if (production && e.SSOMIG_CONFIG === undefined) {
    throw new ConfigError("SSOMIG_CONFIG", "is required in production (start:api, start:router, or DATABASE_URL set): name the JSON file of your providers; the demo providers are for the embedded default only");
  }
  if (service === "router" && e.DATABASE_URL === undefined) {
    throw new ConfigError("DATABASE_URL", "a standalone router reads the projection from PostgreSQL; for one process without it, use `npm start`");
  }
  if (service === "router" && e.ROUTER_PIN_SECRET === undefined) {
    throw new ConfigError("ROUTER_PIN_SECRET", "every router needs the same secret (at least 32 bytes) to sign and read flow pins");
  }
  const consoleOidc = consoleOidcFrom(e);
  // The embedded default keeps its API and admin ports on this machine; a service in its own container listens on every interface.
  const privateHost = service === "embedded" ? LOOPBACK : ALL_INTERFACES;
  const claims = { ...(e.AUTH_ISSUER ? { issuer: e.AUTH_ISSUER } : {}), ...(e.AUTH_AUDIENCE ? { audience: e.AUTH_AUDIENCE } : {}) };
  const auth: AuthSettings = e.AUTH_JWKS_URL
    ? { mode: "jwks", jwksUrl: e.AUTH_JWKS_URL, ...claims }
    : e.AUTH_PUBLIC_KEY
      ? { mode: "public_key", pem: e.AUTH_PUBLIC_KEY, algorithm: e.AUTH_PUBLIC_KEY_ALG ?? "RS256", ...claims }
      : e.AUTH_SECRET
        ? { mode: "secret", secret: e.AUTH_SECRET, ...claims }
        : { mode: "development", ...claims };
  return {
    service,
    dataDir: e.DATA_DIR ?? ".data",
    ...(e.SSOMIG_CONFIG ? { configPath: e.SSOMIG_CONFIG } : {}),
    ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}),
    ...(e.NATS_URL ? { natsUrl: e.NATS_URL } : {}),
    natsPrefix: e.SSOMIG_NATS_PREFIX ?? "ssomig",
    api: { host: e.API_HOST ?? privateHost, port: e.API_PORT },
    router: { host: e.ROUTER_HOST ?? ALL_INTERFACES, port: e.ROUTER_PORT },
    routerAdmin: { host: e.ROUTER_ADMIN_HOST ?? privateHost, port: e.ROUTER_ADMIN_PORT },
    ...(e.ROUTER_PIN_SECRET ? { routerPinSecret: e.ROUTER_PIN_SECRET } : {}),
    routePollMs: e.ROUTE_POLL_MS,
    routerAccessLog: (e.ROUTER_ACCESS_LOG ?? "on") === "on",
    idempotencyKeyTtlHours: e.IDEMPOTENCY_KEY_TTL_HOURS,
    databaseTimeoutMs: e.DATABASE_TIMEOUT_MS,
    horizonMaxAgeMs: e.HORIZON_MAX_AGE_MS,
    natsPingIntervalMs: e.NATS_PING_INTERVAL_MS,
    routerTimeouts: { bodyTimeoutMs: e.ROUTER_BODY_TIMEOUT_MS, upstreamIdleMs: e.ROUTER_UPSTREAM_IDLE_MS },
    outcomeFlushMs: e.OUTCOME_FLUSH_MS,
    outcomeRetentionDays: e.OUTCOME_RETENTION_DAYS,
    guard:
      e.GUARD === "off"
        ? null
        : {
            policy: { windowMinutes: e.GUARD_WINDOW_MINUTES, minFailures: e.GUARD_MIN_FAILURES, failureRate: e.GUARD_FAILURE_PERCENT / 100, worseBy: e.GUARD_WORSE_BY_PERCENT / 100 },
            intervalMs: e.GUARD_INTERVAL_MS,
          },
    preflightPolicy: { required: e.PREFLIGHT_REQUIRED === "on", maxAgeMinutes: e.PREFLIGHT_MAX_AGE_MINUTES, budgetMs: Math.max(500, Math.floor(e.DATABASE_TIMEOUT_MS / 2)) },
    auth,
    console: { oidc: consoleOidc, ...(e.CONSOLE_SESSION_SECRET ? { sessionSecret: e.CONSOLE_SESSION_SECRET } : {}) },
    secrets: secretsIn({ databaseUrl: e.DATABASE_URL, natsUrl: e.NATS_URL, others: SECRET_SETTINGS.map((name) => e[name]) }),
  };
}

/** The settings without which OIDC sign-in cannot work: all of them, or none of the CONSOLE_OIDC_* variables. */
const OIDC_REQUIRED = ["CONSOLE_OIDC_ISSUER", "CONSOLE_OIDC_CLIENT_ID", "CONSOLE_OIDC_REDIRECT_URL", "CONSOLE_OIDC_ROLE_MAP"] as const;
/** Set alone, these mean someone meant OIDC sign-in (the others have defaults and may be set anyway). */
const OIDC_INTENT = [...OIDC_REQUIRED, "CONSOLE_OIDC_CLIENT_SECRET", "CONSOLE_OIDC_COOKIE_SECRET"] as const;

function consoleOidcFrom(e: z.infer<typeof ENVIRONMENT>): ConsoleOidcSettings | null {
  const given = OIDC_INTENT.filter((name) => e[name] !== undefined);
  if (given.length === 0) return null;
  const missing = OIDC_REQUIRED.find((name) => e[name] === undefined);
  if (missing) throw new ConfigError(missing, `is required with ${given[0]} (console sign-in with OIDC needs ${OIDC_REQUIRED.join(", ")}; set all of them or none)`);
  return {
    issuer: e.CONSOLE_OIDC_ISSUER!,
    clientId: e.CONSOLE_OIDC_CLIENT_ID!,
    ...(e.CONSOLE_OIDC_CLIENT_SECRET ? { clientSecret: e.CONSOLE_OIDC_CLIENT_SECRET } : {}),
    redirectUrl: e.CONSOLE_OIDC_REDIRECT_URL!,
    scopes: (e.CONSOLE_OIDC_SCOPES ?? "openid email profile").split(/\s+/).filter(Boolean),
    rolesClaim: e.CONSOLE_OIDC_ROLES_CLAIM ?? "groups",
    roleMap: e.CONSOLE_OIDC_ROLE_MAP!,
    ...(e.CONSOLE_OIDC_COOKIE_SECRET ? { cookieSecret: e.CONSOLE_OIDC_COOKIE_SECRET } : {}),
    timeoutMs: e.CONSOLE_OIDC_TIMEOUT_MS,
  };
}

/** A URL from the settings as a log may show it (password and NATS token masked). */
export const displayUrl = redactUrl;

/** The only reader of the environment; every variable is documented in the README's table. */
export const env = (name: string): string | undefined => {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
};


/** SSOMIG_CONFIG names a JSON file; without it, the embedded default's two demo providers. */
export async function loadConfig(path: string | undefined = env("SSOMIG_CONFIG")): Promise<{ config: Config; source: string }> {
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
  const config = parseConfig(json, `SSOMIG_CONFIG ${path}:`);
  providerHeaderValues(config, `SSOMIG_CONFIG ${path}:`); // a missing variable stops the start here, before any database or socket
  return { config, source: path };
}

/**
 * Reads each provider header's value from the variable the config names (`{"fromEnv": "X"}`).
 * Errors name the setting and the variable, never a value; the values travel only in the map
 * returned, never in the config object, so nothing that prints the config can print them.
 */
export function providerHeaderValues(config: Config, source = "SSOMIG_CONFIG"): ProviderHeaderValues {
  const all = new Map<string, Map<string, string>>();
  config.providers.forEach((provider, i) => {
    const values = new Map<string, string>();
    for (const [name, { fromEnv }] of Object.entries(provider.headers ?? {})) {
      const value = env(fromEnv)?.trim();
      const setting = `${source} providers.${i}.headers.${name}`;
      if (value === undefined || value === "") throw new ConfigError(setting, `environment variable ${fromEnv} is not set`);
      // Visible ASCII (and spaces/tabs inside): a header line cannot be split or smuggled through it.
      if (!/^[\x21-\x7e]([\t\x20-\x7e]*[\x21-\x7e])?$/.test(value)) throw new ConfigError(setting, `environment variable ${fromEnv} holds characters a header value cannot carry`);
      values.set(name, value);
    }
    all.set(provider.id, values);
  });
  return all;
}

/**
 * Runs a service's start-up; a configuration error ends the process with one clear line, not a
 * stack. Whatever is printed is scrubbed of the secrets in the environment (a driver's error may
 * quote the whole DATABASE_URL, password included).
 */
export async function startOrExit(start: () => Promise<void>): Promise<void> {
  const scrub = scrubber(secretsIn({ databaseUrl: env("DATABASE_URL"), natsUrl: env("NATS_URL"), others: SECRET_SETTINGS.map(env) }));
  try {
    await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(scrub(`ssomigrate: configuration error: ${error.message}`));
      process.exit(78); // EX_CONFIG
    }
    if (isConnectionError(error)) {
      console.error(scrub(`ssomigrate: cannot reach the database (DATABASE_URL): ${(error as Error).message}`));
      process.exit(69); // EX_UNAVAILABLE: a supervisor restarts it once the database is back
    }
    const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    console.error(scrub(`ssomigrate: start-up failed: ${redactUrl(text)}`));
    process.exit(70); // EX_SOFTWARE
  }
}

/**
 * postgres.js can throw outside any request once the pool has given up on a connection (a
 * socket destroyed under a stuck transaction rejects a write nobody awaits). Its caller already
 * got `store_unavailable`, so such a stray connection error is logged and the service goes on
 * serving; anything else stray is a bug and still ends the process (exit 70), as before.
 */
export function survivingStrayDriverErrors(log: (entry: Record<string, unknown>) => void): void {
  const stray = (error: unknown) => {
    if (isConnectionError(error)) {
      log({ level: "warn", msg: "database connection error outside any request (its caller was already answered)", error: String(error) });
      return;
    }
    log({ level: "error", msg: "unhandled error; exiting", error: String(error), stack: error instanceof Error ? error.stack : undefined });
    process.exit(70);
  };
  process.on("uncaughtException", stray);
  process.on("unhandledRejection", stray);
}
