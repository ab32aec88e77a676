import { toASCII } from "tr46";
import type { Identifier, IdentifierKind } from "./identifiers.ts";

/**
 * One identity, one spelling. The API stores identifiers in the normal form computed here and
 * the router looks requests up in the same form, so "Acme.COM.", "acme.com" and "аcme.com"'s
 * punycode cannot name two owners or miss each other.
 *
 * - domain: lower-cased, trailing dot dropped, Unicode labels as punycode (UTS #46 through
 *   `tr46`, the WHATWG URL Standard's IDNA implementation: pure JavaScript, so Bun, Node and
 *   Deno agree, which their built-in URL parsers do not on every input).
 * - oidc_issuer: scheme and host lower-cased, default port dropped, dot segments resolved,
 *   trailing slashes dropped (`https://idp.example.com/` is `https://idp.example.com`); the
 *   path keeps its case.
 * - saml_issuer, connection, client_id: exact.
 */

/** Control characters, unpaired surrogates, and invisible ones (zero-width, bidi controls, soft hyphen...). */
const CONTROL = /[\p{Cc}]/u;
const SURROGATE = /[\p{Cs}]/u;
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}]/u;

/** Why a value cannot be an identifier, in plain words, or null when its characters are fine. */
export function identifierCharacterFault(value: string): string | null {
  if (CONTROL.test(value)) return "must not contain control characters";
  if (SURROGATE.test(value)) return "must be valid Unicode (it contains an unpaired surrogate)";
  if (INVISIBLE.test(value)) return "must not contain invisible characters (zero-width or bidi controls)";
  return null;
}

const LOWER_DOMAIN = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+$/;
const ASCII_DOMAIN = /^[A-Za-z0-9.-]+$/;
const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IDNA = { checkBidi: true, checkHyphens: false, checkJoiners: true, useSTD3ASCIIRules: true, verifyDNSLength: true } as const;

/** An email domain's normal form, or null when it is not a hostname such as example.com. */
export function domainNormalForm(raw: string): string | null {
  const value = raw.endsWith(".") ? raw.slice(0, -1) : raw;
  let ascii: string | null;
  if (ASCII_DOMAIN.test(value) && !/xn--/i.test(value)) ascii = value.toLowerCase(); // punycode labels are checked by tr46
  else if (/[\x00-\x7f]/.test(value.replace(/[A-Za-z0-9.-]/g, ""))) return null; // ASCII punctuation: a scheme, port, path or @
  else ascii = toASCII(value, IDNA);
  if (ascii === null || ascii.length > 253) return null;
  const labels = ascii.split(".");
  if (labels.length < 2 || !labels.every((l) => HOST_LABEL.test(l)) || /^\d+$/.test(labels.at(-1)!)) return null;
  return ascii;
}

const URI_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
export const MAX_ISSUER = 1024;

export type IssuerFault = "not_url" | "not_https" | "has_query" | "not_ascii";

/** An OIDC issuer's normal form, or why it is not an issuer. */
export function oidcIssuerNormalForm(raw: string): { value: string } | { fault: IssuerFault } {
  if (raw.length > MAX_ISSUER || !URI_SCHEME.test(raw)) return { fault: "not_url" };
  if (!PRINTABLE_ASCII.test(raw)) return { fault: "not_ascii" };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { fault: "not_url" };
  }
  const local = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) return { fault: "not_https" };
  if (url.search || url.hash || url.username || url.password || raw.includes("?") || raw.includes("#")) return { fault: "has_query" };
  return { value: `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}` };
}

/** Already normal and cheap to recognise: https, lower-case host ending in a letter, no port, plain path segments. */
const PLAIN_ISSUER = /^https:\/\/(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*(?:\/[A-Za-z0-9_~!$&'()*+,;=:@-][A-Za-z0-9._~!$&'()*+,;=:@-]*)*$/;

/**
 * The value to look an identifier up by: its normal form, or the value itself when it has none
 * (an unusable request value then matches nothing new, and a value stored before normalization
 * existed still matches its exact spelling). Plain lower-case ASCII takes a regex, not a parser:
 * the router calls this on every request that carries a domain or an issuer.
 */
export function lookupSpelling(kind: IdentifierKind, value: string): string {
  switch (kind) {
    case "domain":
      if (LOWER_DOMAIN.test(value)) return value;
      return identifierCharacterFault(value) === null ? (domainNormalForm(value) ?? value) : value;
    case "oidc_issuer": {
      if (PLAIN_ISSUER.test(value)) return value;
      const normal = oidcIssuerNormalForm(value);
      return "value" in normal ? normal.value : value;
    }
    default:
      return value;
  }
}

/** The route table's and the decider's key: kind and lookup spelling. */
export const spellingKey = (identifier: Identifier): string => `${identifier.kind}\u0000${lookupSpelling(identifier.kind, identifier.value)}`;
