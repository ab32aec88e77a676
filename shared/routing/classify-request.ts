import { InvalidSamlMessage } from "../errors.ts";
import { PRESET_SHAPES, type PresetShape } from "../presets.ts";
import type { Preset } from "../config.ts";
import { compilePaths, type PathMatcher } from "./path-patterns.ts";
import type { Fields } from "./form-fields.ts";

export type RequestKind =
  | "authorize"
  | "saml_post"
  | "saml_redirect"
  | "saml_logout"
  | "oidc_callback"
  | "token"
  | "userinfo"
  | "revocation"
  | "introspection"
  | "logout"
  | "hosted_login"
  | "discovery"
  | "jwks"
  | "provider_jwks"
  | "metadata"
  | "other";

/** What the router reads from a request before deciding anything. Bodies are form fields only. */
export type RoutableRequest = {
  method: string;
  path: string;
  query: Fields;
  form: Fields | null;
  /** The user part of `Authorization: Basic`, URL-decoded (RFC 6749 §2.3.1). */
  basicClientId: string | null;
};

export type Classification = {
  kind: RequestKind;
  /** A connection named by the path, for presets whose URLs carry one. */
  pathConnection: string | null;
  /** A SAML message to read, and how it was transported. */
  saml: { value: string; binding: "post" | "redirect" } | null;
};

export type PathTables = Record<keyof Omit<PresetShape, "jwks">, PathMatcher>;

/** Compiles the union of the configured providers' URL shapes once, at start-up. */
export function compilePathTables(presets: Iterable<Preset>): PathTables {
  const shapes: PresetShape[] = [...new Set(presets)].map((p) => PRESET_SHAPES[p]);
  const all = (key: keyof Omit<PresetShape, "jwks">) => compilePaths(shapes.flatMap((s) => s[key]));
  return {
    authorize: all("authorize"),
    token: all("token"),
    userinfo: all("userinfo"),
    samlAcs: all("samlAcs"),
    oidcCallback: all("oidcCallback"),
    samlLogout: all("samlLogout"),
    metadata: all("metadata"),
    revocation: all("revocation"),
    introspection: all("introspection"),
    logout: all("logout"),
    hostedLogin: all("hostedLogin"),
    discovery: all("discovery"),
    jwksPaths: all("jwksPaths"),
  };
}

/**
 * SAML messages are recognised by their parameters wherever they arrive (some providers share
 * one handler for every protocol); everything else by the configured presets' paths.
 */
export function classifyRequest(req: RoutableRequest, paths: PathTables): Classification {
  const connection = (m: { connection: string | null } | null) => m?.connection ?? null;
  const samlForm = req.form?.get("SAMLResponse") ?? req.form?.get("SAMLRequest") ?? null;
  if (req.method === "POST" && samlForm !== null) {
    // Two messages in one post: the router would route on the first, a provider may read the last.
    if (req.form?.repeated?.("SAMLResponse") || req.form?.repeated?.("SAMLRequest")) throw new InvalidSamlMessage("the body carries more than one SAMLResponse or SAMLRequest");
    const logout = paths.samlLogout.match(req.path);
    return {
      kind: logout ? "saml_logout" : "saml_post",
      pathConnection: connection(logout ?? paths.samlAcs.match(req.path)),
      saml: { value: samlForm, binding: "post" },
    };
  }
  const samlQuery = req.query.get("SAMLRequest") ?? req.query.get("SAMLResponse");
  if (samlQuery !== null) {
    const logout = paths.samlLogout.match(req.path);
    return { kind: logout ? "saml_logout" : "saml_redirect", pathConnection: connection(logout ?? paths.samlAcs.match(req.path)), saml: { value: samlQuery, binding: "redirect" } };
  }
  if (req.path === "/.well-known/jwks.json") return { kind: "jwks", pathConnection: null, saml: null };
  if (req.path.endsWith("/.well-known/openid-configuration")) return { kind: "discovery", pathConnection: null, saml: null };
  // Only requests without a SAML message get here: a path that is one provider's SAML SLO and
  // another's browser logout (Auth0's and Cognito's /logout) is the browser logout.
  const table: [RequestKind, PathMatcher][] = [
    ["token", paths.token],
    ["userinfo", paths.userinfo],
    ["revocation", paths.revocation],
    ["introspection", paths.introspection],
    ["authorize", paths.authorize],
    ["oidc_callback", paths.oidcCallback],
    ["logout", paths.logout],
    ["saml_logout", paths.samlLogout],
    ["saml_post", paths.samlAcs],
    ["metadata", paths.metadata],
    ["discovery", paths.discovery],
    ["provider_jwks", paths.jwksPaths],
    ["hosted_login", paths.hostedLogin],
  ];
  for (const [kind, matcher] of table) {
    const match = matcher.match(req.path);
    if (match) return { kind: kind === "saml_post" && req.method !== "POST" ? "other" : kind, pathConnection: match.connection, saml: null };
  }
  return { kind: "other", pathConnection: null, saml: null };
}
