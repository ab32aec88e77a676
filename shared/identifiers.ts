import { ValidationError } from "./errors.ts";

/** How traffic finds its organization. Each kind is matched exactly after `normalizeIdentifier`. */
export const IDENTIFIER_KINDS = ["domain", "saml_issuer", "oidc_issuer", "connection", "client_id"] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];
export type Identifier = { kind: IdentifierKind; value: string };

const MAX_URI = 1024;
const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const URI_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/;
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
 * Validates an identifier and returns its canonical form, or throws `invalid_identifier`.
 * Email domains are case-insensitive, so they are lower-cased; issuers, connections and
 * client ids are compared byte for byte, exactly as the IdP or provider sends them.
 */
export function normalizeIdentifier(kind: unknown, value: unknown): Identifier {
  if (!isIdentifierKind(kind)) {
    throw invalid(`kind must be one of ${IDENTIFIER_KINDS.join(", ")}`, kind, value);
  }
  if (typeof value !== "string" || value.length === 0) throw invalid("value must be a non-empty string", kind, value);
  if (CONTROL.test(value)) throw invalid("value must not contain control characters", kind, value);
  switch (kind) {
    case "domain":
      return { kind, value: normalizeDomain(value, kind) };
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

function normalizeDomain(raw: string, kind: IdentifierKind): string {
  const value = raw.toLowerCase().replace(/\.$/, "");
  const labels = value.split(".");
  if (value.length > 253 || labels.length < 2 || !labels.every((l) => HOST_LABEL.test(l)) || /^\d+$/.test(labels.at(-1)!)) {
    throw invalid("a domain is a hostname such as example.com (no scheme, path, port or IP address)", kind, raw);
  }
  return value;
}

/**
 * SAML says an entity ID is a URI, and most are (https URLs, URNs). Some IdPs ship other
 * defaults (JumpCloud's is the literal "IdP Entity ID"), and the router must match what the IdP
 * really sends, so any printable value is accepted; leading or trailing spaces are refused
 * because the router compares against the trimmed Issuer text.
 */
function checkSamlIssuer(value: string): string {
  if (value.length > MAX_URI) throw invalid(`an issuer is at most ${MAX_URI} characters`, "saml_issuer", value);
  if (value.trim() !== value) throw invalid("an issuer has no leading or trailing whitespace", "saml_issuer", value);
  return value;
}

function checkOidcIssuer(value: string): string {
  let url: URL;
  try {
    if (!URI_SCHEME.test(value) || value.length > MAX_URI) throw new Error("not a URI");
    url = new URL(value);
  } catch {
    throw invalid("an OIDC issuer is an https URL", "oidc_issuer", value);
  }
  const local = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) {
    throw invalid("an OIDC issuer uses https (http only for localhost)", "oidc_issuer", value);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw invalid("an OIDC issuer has no query, fragment or credentials", "oidc_issuer", value);
  }
  return value;
}

function invalid(message: string, kind: unknown, value: unknown): ValidationError {
  return new ValidationError("invalid_identifier", message, { kind, value: typeof value === "string" ? value.slice(0, 200) : value });
}
