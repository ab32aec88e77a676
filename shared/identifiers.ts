import { ValidationError } from "./errors.ts";
import { domainNormalForm, identifierCharacterFault, MAX_ISSUER, oidcIssuerNormalForm } from "./identifier-spelling.ts";

/** How traffic finds its organization. Each kind is matched in the normal form of `identifier-spelling.ts`. */
export const IDENTIFIER_KINDS = ["domain", "saml_issuer", "oidc_issuer", "connection", "client_id"] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];
export type Identifier = { kind: IdentifierKind; value: string };

const CONNECTION = /^[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}$/;
const CLIENT_ID = /^[\x21-\x7e]{1,256}$/;

export function isIdentifierKind(kind: unknown): kind is IdentifierKind {
  return typeof kind === "string" && (IDENTIFIER_KINDS as readonly string[]).includes(kind);
}

/** The key used wherever identifiers are looked up: `kind` and normalized value. */
export function identifierKey(id: Identifier): string {
  return `${id.kind}\u0000${id.value}`;
}

/**
 * Validates an identifier and returns its normal form (see identifier-spelling.ts), or throws
 * `invalid_identifier`. No identifier may hold control, invisible (zero-width, bidi) or
 * unpaired-surrogate characters; the router compares against the same normal form.
 */
export function normalizeIdentifier(kind: unknown, value: unknown): Identifier {
  if (!isIdentifierKind(kind)) {
    throw invalid(`kind must be one of ${IDENTIFIER_KINDS.join(", ")}`, kind, value);
  }
  if (typeof value !== "string" || value.length === 0) throw invalid("value must be a non-empty string", kind, value);
  const fault = identifierCharacterFault(value);
  if (fault) throw invalid(`value ${fault}`, kind, value);
  switch (kind) {
    case "domain": {
      const domain = value.length <= 254 ? domainNormalForm(value) : null;
      if (domain === null) throw invalid("a domain is a hostname such as example.com (no scheme, path, port or IP address)", kind, value);
      return { kind, value: domain };
    }
    case "saml_issuer":
      return { kind, value: checkSamlIssuer(value) };
    case "oidc_issuer":
      return { kind, value: checkOidcIssuer(value) };
    case "connection":
      if (!CONNECTION.test(value)) {
        throw invalid("a connection is 1-128 letters, digits or ._:~- and starts with a letter or digit", kind, value);
      }
      return { kind, value };
    case "client_id":
      if (!CLIENT_ID.test(value)) throw invalid("a client_id is 1-256 printable ASCII characters without spaces", kind, value);
      return { kind, value };
  }
}

/**
 * SAML says an entity ID is a URI, and most are (https URLs, URNs). Some IdPs ship other
 * defaults (JumpCloud's is the literal "IdP Entity ID"), and the router must match what the IdP
 * really sends, so any printable value is accepted and kept exactly; leading or trailing
 * whitespace is refused (not trimmed) because the router compares against the trimmed Issuer text.
 */
function checkSamlIssuer(value: string): string {
  if (value.length > MAX_ISSUER) throw invalid(`an issuer is at most ${MAX_ISSUER} characters`, "saml_issuer", value);
  if (value.trim() !== value) throw invalid("an issuer has no leading or trailing whitespace", "saml_issuer", value);
  return value;
}

const ISSUER_FAULTS = {
  not_url: "an OIDC issuer is an https URL",
  not_ascii: "an OIDC issuer is written in ASCII (an internationalized host in its xn-- form)",
  not_https: "an OIDC issuer uses https (http only for localhost)",
  has_query: "an OIDC issuer has no query, fragment or credentials",
} as const;

function checkOidcIssuer(value: string): string {
  const normal = oidcIssuerNormalForm(value);
  if ("fault" in normal) throw invalid(ISSUER_FAULTS[normal.fault], "oidc_issuer", value);
  return normal.value;
}

function invalid(message: string, kind: unknown, value: unknown): ValidationError {
  const shown = (v: unknown) => (typeof v === "string" ? printable(v.slice(0, 200)) : v);
  return new ValidationError("invalid_identifier", message, { kind: shown(kind), value: shown(value) });
}

/** Echoes a refused value without the characters that made it unsafe to show. */
const printable = (value: string): string => value.replace(/[\p{Cc}\p{Cs}\p{Default_Ignorable_Code_Point}]/gu, "\uFFFD");
