import { subjectFault, textFault } from "../../shared/text.ts";
import type { Scope } from "../commands/auth.ts";

/** The person the IdP signed in, as the console knows them: `subject` is the actor of every event they cause. */
export type Operator = { subject: string; name?: string; scopes: ReadonlySet<Scope> };

export type Claims = Record<string, unknown>;

export type OperatorRefusal = { refusal: "no_role" | "bad_subject"; detail: string };

/**
 * Decides who signed in and what they may do, from the ID token's claims (completed by userinfo)
 * and the scopes the IdP granted. Pure: the routes fetch, this decides.
 */
export function operatorFrom(input: {
  claims: Claims;
  issuer: string;
  rolesClaim: string;
  roleMap: ReadonlyMap<string, readonly Scope[]>;
  /** The token response's `scope`: the roles when `rolesClaim` is `scope`. */
  grantedScope?: string | undefined;
}): Operator | OperatorRefusal {
  const subject = subjectOf(input.claims, input.issuer);
  const fault = subjectFault(subject);
  if (fault) return { refusal: "bad_subject", detail: `the name the console would record for you ${fault}` };
  const roles = rolesIn(input.claims, input.rolesClaim, input.grantedScope);
  const scopes = new Set(roles.flatMap((role) => input.roleMap.get(role) ?? []));
  if (scopes.size === 0) return { refusal: "no_role", detail: `none of your roles (claim ${input.rolesClaim}) is mapped to a console permission` };
  const name = displayName(input.claims);
  return { subject, ...(name ? { name } : {}), scopes };
}

/**
 * The actor an auditor reads: the email address when the IdP says it is verified (lower-cased,
 * so a directory that changes its case does not split one person's history), else the IdP's
 * `sub` qualified by the issuer (`https://idp.example.com#248289761001`), which no other IdP can
 * produce. An unverified email is never used: anyone could have typed it.
 */
export function subjectOf(claims: Claims, issuer: string): string {
  const verified = claims.email_verified === true || claims.email_verified === "true";
  if (verified && typeof claims.email === "string" && claims.email.includes("@")) return claims.email.trim().toLowerCase();
  return `${issuer}#${String(claims.sub)}`;
}

/**
 * The person's roles: the named claim as a list, or one value; `scope`/`scp` as a
 * space-separated list; `scope` alone reads the scopes the IdP granted when no claim carries it.
 * A dotted name (`realm_access.roles`) is followed into nested objects when no claim has that
 * exact name (Auth0's namespaced claims are URLs, dots included).
 */
export function rolesIn(claims: Claims, rolesClaim: string, grantedScope?: string): string[] {
  let value = claimAt(claims, rolesClaim);
  if (value === undefined && rolesClaim === "scope") value = grantedScope;
  if (typeof value === "string") return rolesClaim === "scope" || rolesClaim === "scp" ? value.split(/\s+/).filter(Boolean) : [value];
  if (Array.isArray(value)) return value.filter((role): role is string => typeof role === "string");
  return [];
}

/** Whether the claims carry the roles claim at all (else userinfo may). */
export const carriesClaim = (claims: Claims, name: string): boolean => claimAt(claims, name) !== undefined;

function claimAt(claims: Claims, name: string): unknown {
  if (name in claims) return claims[name];
  let value: unknown = claims;
  for (const part of name.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function displayName(claims: Claims): string | undefined {
  for (const candidate of [claims.name, claims.preferred_username]) {
    if (typeof candidate === "string" && candidate.trim() !== "" && textFault(candidate, { max: 200 }) === null) return candidate.trim();
  }
  return undefined;
}
