/*
 * RFC 3986 URI-reference (§4.1), the form Namespaces in XML requires of a namespace name and
 * libxml2 checks. Written out from the RFC's ABNF; every repetition is over characters that the
 * next part cannot start with, so matching is linear in the length of the value.
 */
const UNRESERVED = "[A-Za-z0-9\\-._~]";
const PCT = "%[0-9A-Fa-f]{2}";
const SUB_DELIMS = "[!$&'()*+,;=]";
const PCHAR = `(?:${UNRESERVED}|${PCT}|${SUB_DELIMS}|[:@])`;
const SEGMENT = `${PCHAR}*`;
const USERINFO = `(?:${UNRESERVED}|${PCT}|${SUB_DELIMS}|:)*@`;
const HOST = `(?:\\[[0-9A-Za-z\\-._~!$&'()*+,;=:]+\\]|(?:${UNRESERVED}|${PCT}|${SUB_DELIMS})*)`;
const AUTHORITY = `(?:${USERINFO})?${HOST}(?::[0-9]*)?`;
const PATH_ABEMPTY = `(?:/${SEGMENT})*`;
const PATH_ABSOLUTE = `/(?:${PCHAR}+(?:/${SEGMENT})*)?`;
const PATH_ROOTLESS = `${PCHAR}+(?:/${SEGMENT})*`;
const PATH_NOSCHEME = `(?:${UNRESERVED}|${PCT}|${SUB_DELIMS}|@)+(?:/${SEGMENT})*`;
const QUERY_OR_FRAGMENT = `(?:${PCHAR}|[/?])*`;
const ABSOLUTE = `[A-Za-z][A-Za-z0-9+.\\-]*:(?://${AUTHORITY}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${PATH_ROOTLESS})?`;
const RELATIVE = `(?://${AUTHORITY}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${PATH_NOSCHEME})?`;
const URI_REFERENCE = new RegExp(`^(?:${ABSOLUTE}|${RELATIVE})(?:\\?${QUERY_OR_FRAGMENT})?(?:#${QUERY_OR_FRAGMENT})?$`);

export function isUriReference(value: string): boolean {
  return URI_REFERENCE.test(value);
}
