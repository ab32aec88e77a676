import { z } from "zod";
import { ConfigError } from "./errors.ts";
import type { ProviderCatalog } from "./providers.ts";

export const PRESETS = ["auth0", "cognito", "workos", "firebase", "scalekit", "okta", "generic"] as const;
export type Preset = (typeof PRESETS)[number];

const origin = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "https:" || u.protocol === "http:") && (u.pathname === "/" || u.pathname === "") && !u.search && !u.hash;
    } catch {
      return false;
    }
  }, "must be an http(s) origin such as https://tenant.auth0.com (no path, query or fragment)")
  .transform((v) => new URL(v).origin);

const providerSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "must be 1-32 lower-case letters, digits, - or _"),
    role: z.enum(["legacy", "target"]),
    preset: z.enum(PRESETS).default("generic"),
    origin,
    preserveHost: z.boolean().default(false),
    rewrites: z
      .array(z.object({ from: z.string().startsWith("/"), to: z.string().startsWith("/") }).strict())
      .default([]),
    timeoutMs: z.number().int().positive().max(120_000).default(10_000),
    /** Overrides the preset's JWKS path (for the router's merged JWKS). */
    jwksPath: z.string().startsWith("/").optional(),
  })
  .strict();

/**
 * Learned credential routes (README "Credentials reach only their issuer"). A credential the
 * router never saw issued predates the proxy, so by default it is the legacy provider's;
 * `try-each` is for deployments that put the router in mid-migration.
 */
const credentialsSchema = z
  .object({
    unknownCredentials: z.enum(["default", "try-each"]).default("default"),
    codeTtlSeconds: z.number().int().positive().max(3600).default(600),
    accessTokenTtlSeconds: z.number().int().positive().max(90 * 86_400).default(86_400),
    refreshTokenTtlSeconds: z.number().int().positive().max(400 * 86_400).default(90 * 86_400),
    /** How long the browser's "last logged in at" marker routes an OIDC logout without id_token_hint. */
    sessionMarkerSeconds: z.number().int().positive().max(400 * 86_400).default(30 * 86_400),
    /** A lookup slower than this is treated as unknown (and counted): the request path never waits long. */
    lookupTimeoutMs: z.number().int().positive().max(5000).default(200),
  })
  .strict();

export type CredentialSettings = z.infer<typeof credentialsSchema>;

export const configSchema = z
  .object({
    publicUrl: origin,
    providers: z.array(providerSchema).min(1),
    defaultProvider: z.string().optional(),
    credentials: credentialsSchema.prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const ids = config.providers.map((p) => p.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: "custom", path: ["providers", i, "id"], message: `duplicate provider id ${id}` });
    });
    if (!config.providers.some((p) => p.role === "legacy")) {
      ctx.addIssue({ code: "custom", path: ["providers"], message: "needs a provider with role legacy" });
    }
    if (!config.providers.some((p) => p.role === "target")) {
      ctx.addIssue({ code: "custom", path: ["providers"], message: "needs a provider with role target" });
    }
    if (config.defaultProvider !== undefined && !ids.includes(config.defaultProvider)) {
      ctx.addIssue({ code: "custom", path: ["defaultProvider"], message: `names no configured provider (known: ${ids.join(", ")})` });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type ProviderConfig = Config["providers"][number];

/** Parses a config document; the error names the setting (`SSOMIG_CONFIG providers.0.origin: ...`). */
export function parseConfig(input: unknown, source = "SSOMIG_CONFIG"): Config {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.length ? issue.path.join(".") : "(root)";
  throw new ConfigError(`${source} ${path}`, issue.message);
}

/** The embedded default: two demo upstreams on this machine (see `ssomig demo-upstreams`). */
export const demoConfig = (): Config =>
  parseConfig(
    {
      publicUrl: "http://localhost:8080",
      providers: [
        { id: "legacy", role: "legacy", origin: "http://127.0.0.1:9001" },
        { id: "target", role: "target", origin: "http://127.0.0.1:9002" },
      ],
      defaultProvider: "legacy",
    },
    "demo config",
  );

export function providerCatalog(config: Config): ProviderCatalog {
  const legacy = config.providers.find((p) => p.role === "legacy")!;
  const target = config.providers.find((p) => p.role === "target")!;
  return { ids: config.providers.map((p) => p.id), defaultProvider: config.defaultProvider ?? legacy.id, defaultTarget: target.id };
}
