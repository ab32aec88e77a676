import { z } from "zod";
import ipaddr from "ipaddr.js";
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

/** An HTTP header name (RFC 9110 token), compared and sent in lower case. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerName = z
  .string()
  .regex(HEADER_NAME, "must be an HTTP header name")
  .transform((v) => v.toLowerCase());

/** Headers the router itself sets or that carry the client's own request: a provider setting may not replace them. */
const RESERVED_HEADERS = new Set(["host", "content-length", "content-type", "content-encoding", "transfer-encoding", "connection", "keep-alive", "te", "trailer", "upgrade", "proxy-authorization", "proxy-connection", "cookie", "authorization", "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "accept-encoding"]);

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name");

/**
 * Extra request headers for one provider. Values are secrets (Auth0's `cname-api-key`), so the
 * file only names the environment variable that holds each one; the router reads it at start.
 */
const providerHeaders = z
  .record(z.string(), z.object({ fromEnv: envName }, { error: 'must be {"fromEnv": "VARIABLE"}: header values come from the environment, never from the config file' }).strict())
  .superRefine((headers, ctx) => {
    const seen = new Set<string>();
    for (const name of Object.keys(headers)) {
      const lower = name.toLowerCase();
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: "custom", path: [name], message: "must be an HTTP header name" });
      else if (RESERVED_HEADERS.has(lower) || lower.startsWith("x-ssomig-")) ctx.addIssue({ code: "custom", path: [name], message: "is set by the router and cannot be configured" });
      else if (seen.has(lower)) ctx.addIssue({ code: "custom", path: [name], message: "is configured twice (header names ignore case)" });
      seen.add(lower);
    }
  })
  .transform((headers) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])));

/** A DNS name (no IP literal, no port): what TLS sends as the server name and checks the certificate against. */
const dnsName = z
  .string()
  .regex(/^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, "must be a DNS host name such as auth.example.com")
  .refine((v) => !/^[0-9.]+$/.test(v), "must be a DNS host name, not an IP address")
  .transform((v) => v.toLowerCase());

/** `host[:port]` exactly as the Host header carries it. */
const hostHeader = z.string().refine((v) => {
  try {
    return new URL(`http://${v}`).host === v.toLowerCase() && !v.includes("@");
  } catch {
    return false;
  }
}, "must be a host name with an optional port, such as auth.example.com");

const cidr = z.string().refine((v) => ipaddr.isValidCIDR(v), "must be a CIDR block such as 10.0.0.0/8 or fd00::/8");

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
    /** Request headers added on every request to this provider, each value read from an environment variable. */
    headers: providerHeaders.optional(),
    /** The header this provider reads the end user's IP from (Auth0: true-client-ip, cf-connecting-ip or x-forwarded-for). */
    clientIpHeader: headerName
      .refine((name) => name === "x-forwarded-for" || !RESERVED_HEADERS.has(name), "is set by the router and cannot carry the client IP")
      .optional(),
    /** The Host header to send instead of the origin's (a custom domain served by the provider's edge). */
    hostHeader: hostHeader.optional(),
    /** The TLS server name (SNI) to send and to check the certificate against, instead of the origin's host name. */
    serverName: dnsName.optional(),
    /** A PEM file of CA certificates trusted for this provider only (a private CA in front of it). */
    caFile: z.string().min(1).optional(),
    /** The application the command service presents when it probes this provider before a migration (issue 12 preflight). */
    preflight: z
      .object({
        clientId: z.string().min(1).max(256),
        redirectUri: z.string().url(),
        scope: z.string().max(512).default("openid"),
        /**
         * Where this provider takes SAML AuthnRequests from the application (the application is a
         * SAML service provider of the provider): a `connection` is then probed with an
         * HTTP-Redirect AuthnRequest to `ssoPath`, the connection named in `connectionParameter`.
         */
        saml: z
          .object({
            ssoPath: z.string().regex(/^\/[^?#\s]{0,511}$/, "must be a path without a query, such as /samlp/CLIENT_ID"),
            entityId: z.string().min(1).max(1024),
            acsUrl: z.string().url(),
            connectionParameter: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be a query parameter name").default("connection"),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.hostHeader !== undefined && p.preserveHost) ctx.addIssue({ code: "custom", path: ["hostHeader"], message: "cannot be combined with preserveHost (which sends the public host)" });
    const https = p.origin.startsWith("https:");
    if (p.serverName !== undefined && !https) ctx.addIssue({ code: "custom", path: ["serverName"], message: "needs an https origin" });
    if (p.caFile !== undefined && !https) ctx.addIssue({ code: "custom", path: ["caFile"], message: "needs an https origin" });
    if (p.clientIpHeader !== undefined && p.headers?.[p.clientIpHeader] !== undefined) {
      ctx.addIssue({ code: "custom", path: ["headers", p.clientIpHeader], message: "is already the provider's clientIpHeader" });
    }
  });

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
    /**
     * Load balancers in front of the routers: only when the peer address is inside one of these
     * blocks is the client IP taken from `header`; anyone else's copy of it is ignored.
     */
    trustedProxies: z
      .object({ cidrs: z.array(cidr).min(1), header: headerName.default("x-forwarded-for") })
      .strict()
      .optional(),
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
    // One connection pool per origin: providers sharing one must agree on how to reach it.
    config.providers.forEach((p, i) => {
      const first = config.providers.find((q) => q.origin === p.origin)!;
      if (first !== p && (first.serverName !== p.serverName || first.caFile !== p.caFile)) {
        ctx.addIssue({ code: "custom", path: ["providers", i, "origin"], message: `is also provider ${first.id}'s origin, with other serverName/caFile settings` });
      }
    });
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

/** The application the demo providers know (services/demo-upstreams/app.ts): preflight works out of the box. */
export const DEMO_PREFLIGHT = { clientId: "demo-app", redirectUri: "http://localhost:3000/callback" };

/** The embedded default: two demo upstreams on this machine (see `ssomig demo-upstreams`). */
export const demoConfig = (): Config =>
  parseConfig(
    {
      publicUrl: "http://localhost:8080",
      providers: [
        { id: "legacy", role: "legacy", origin: "http://127.0.0.1:9001", preflight: DEMO_PREFLIGHT },
        { id: "target", role: "target", origin: "http://127.0.0.1:9002", preflight: DEMO_PREFLIGHT },
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
