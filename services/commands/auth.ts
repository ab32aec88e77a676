import { createMiddleware } from "hono/factory";
import { createRemoteJWKSet, errors, importSPKI, jwtVerify, type JWTVerifyGetKey } from "jose";
import { CodedError, ConfigError } from "../../shared/errors.ts";
import { subjectFault } from "../../shared/text.ts";

export const SCOPES = ["migrations:read", "migrations:write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: the token's subject becomes the actor of every event it causes. */
export type Principal = { subject: string; scopes: ReadonlySet<string> };

export type AuthOptions = {
  /** HS256 shared secret (development and the embedded default); at least 32 bytes. */
  secret?: string;
  /** SPKI PEM public key, with its algorithm (default RS256). */
  publicKey?: { pem: string; algorithm?: string };
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
};

export type VerifyToken = (token: string) => Promise<Principal>;

/**
 * The console's requests into the API's own routes carry their signed-in operator here, in the
 * `env` argument of `app.fetch(request, env)`, keyed by a symbol private to this module. Nothing
 * a client sends can set it (a served request's env is the runtime's own object), so the bearer
 * check stays the only way in from outside; the scope check below applies to both alike.
 */
const INTERNAL_PRINCIPAL = Symbol("ssomigrate internal principal");

/** The `env` for dispatching a request into the API as `principal` (see INTERNAL_PRINCIPAL). */
export const internalEnv = (principal: Principal): Record<symbol, Principal> => ({ [INTERNAL_PRINCIPAL]: principal });

function internalPrincipalOf(env: unknown): Principal | null {
  if (typeof env !== "object" || env === null) return null;
  return (env as Record<symbol, Principal | undefined>)[INTERNAL_PRINCIPAL] ?? null;
}

/** Whether `scopes` satisfy `scope` (write includes read, admin includes everything). */
export const grants = (scopes: ReadonlySet<string>, scope: Scope): boolean => SATISFIES[scope].some((s) => scopes.has(s));

/** Scopes that satisfy each requirement: write includes read, admin includes everything. */
const SATISFIES: Record<Scope, Scope[]> = {
  "migrations:read": ["migrations:read", "migrations:write", "admin"],
  "migrations:write": ["migrations:write", "admin"],
  admin: ["admin"],
};

/** Signature algorithms a JWKS may use: asymmetric only, so a public key can never serve as an HMAC secret. */
const ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

/** The one algorithm family each mode accepts; a token naming any other is refused before its key is touched. */
function algorithmsFor(options: AuthOptions): string[] {
  if (options.jwksUrl) return ASYMMETRIC;
  if (options.publicKey) return [options.publicKey.algorithm ?? "RS256"];
  return ["HS256"];
}

export async function createTokenVerifier(options: AuthOptions): Promise<VerifyToken> {
  const key = await keyFrom(options);
  const algorithms = algorithmsFor(options);
  return async function verifyToken(token) {
    try {
      const { payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
        ...(options.issuer ? { issuer: options.issuer } : {}),
        ...(options.audience ? { audience: options.audience } : {}),
        algorithms,
        // A token without an expiry would be valid until the key is rotated: never accepted.
        requiredClaims: ["exp"],
        clockTolerance: 5,
      });
      if (typeof payload.sub !== "string" || payload.sub === "") throw new CodedError("invalid_token", "the token has no subject (sub)");
      const subFault = subjectFault(payload.sub);
      if (subFault) throw new CodedError("invalid_token", `the token's subject (sub) ${subFault}`, { reason: `sub ${subFault}` });
      return { subject: payload.sub, scopes: scopesOf(payload) };
    } catch (error) {
      if (error instanceof CodedError) throw error;
      if (error instanceof errors.JWTExpired) throw new CodedError("invalid_token", "the token has expired");
      if (error instanceof errors.JWTClaimValidationFailed) {
        throw new CodedError("invalid_token", error.claim === "exp" && error.reason === "missing" ? "the token has no expiry (exp)" : `the token's ${error.claim} claim is not accepted`);
      }
      if (error instanceof errors.JOSEAlgNotAllowed) throw new CodedError("invalid_token", `the token's signature algorithm is not accepted (accepted: ${algorithms.join(", ")})`);
      if (options.jwksUrl && (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError))) {
        // The keys could not be fetched: say so (the operator's problem), still without a stack or a 500.
        throw new CodedError("invalid_token", "the token cannot be checked: the keys at AUTH_JWKS_URL could not be fetched");
      }
      // Anything else a token can provoke (a key of the wrong type, a JWKS without a match) is the token's fault, not a 500.
      throw new CodedError("invalid_token", "the token is malformed or its signature does not verify");
    }
  };
}

async function keyFrom(options: AuthOptions): Promise<Uint8Array | CryptoKey | JWTVerifyGetKey> {
  if (options.jwksUrl) {
    try {
      return createRemoteJWKSet(new URL(options.jwksUrl));
    } catch {
      throw new ConfigError("AUTH_JWKS_URL", "must be an absolute URL");
    }
  }
  if (options.publicKey) {
    try {
      return await importSPKI(options.publicKey.pem, options.publicKey.algorithm ?? "RS256");
    } catch {
      throw new ConfigError("AUTH_PUBLIC_KEY", "must be an SPKI PEM public key matching AUTH_PUBLIC_KEY_ALG");
    }
  }
  if (options.secret) {
    if (new TextEncoder().encode(options.secret).length < 32) throw new ConfigError("AUTH_SECRET", "must be at least 32 bytes");
    return new TextEncoder().encode(options.secret);
  }
  throw new ConfigError("AUTH_JWKS_URL / AUTH_PUBLIC_KEY / AUTH_SECRET", "one of them must be set");
}

function scopesOf(payload: Record<string, unknown>): Set<string> {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === "string") return new Set(raw.split(" ").filter(Boolean));
  if (Array.isArray(raw)) return new Set(raw.filter((s): s is string => typeof s === "string"));
  return new Set();
}

async function bearerPrincipal(verify: VerifyToken, header: string | undefined): Promise<Principal> {
  if (!header) throw new CodedError("missing_token", "this endpoint needs Authorization: Bearer <token>");
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header);
  if (!match) throw new CodedError("invalid_token", "the Authorization header is not a bearer token");
  return verify(match[1]!);
}

/** Middleware: a valid bearer token with `scope` (or a scope that includes it). */
export function requireScope(verify: VerifyToken, scope: Scope) {
  const accepted = SATISFIES[scope];
  return createMiddleware<{ Variables: { principal: Principal } }>(async function authorize(c, next) {
    const principal = internalPrincipalOf(c.env) ?? (await bearerPrincipal(verify, c.req.header("authorization")));
    if (!accepted.some((s) => principal.scopes.has(s))) {
      throw new CodedError("insufficient_scope", `this endpoint needs the ${scope} scope`, { requiredScope: scope });
    }
    c.set("principal", principal);
    await next();
  });
}
