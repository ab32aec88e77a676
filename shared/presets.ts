import type { Preset } from "./config.ts";

/**
 * The URL shapes each provider family uses on the auth domain. Patterns are exact paths, or
 * have one `:connection` segment naming the provider's connection (an identifier of kind
 * `connection`). Sources: each provider's public documentation for custom domains.
 */
export type PresetShape = {
  authorize: string[];
  token: string[];
  /** SAML ACS endpoints (HTTP-POST binding). */
  samlAcs: string[];
  /** Where the customer's OIDC IdP sends the browser back to the provider. */
  oidcCallback: string[];
  samlLogout: string[];
  /** OIDC userinfo: a bearer token only, no organization. */
  userinfo: string[];
  /** Token revocation (RFC 7009): a token and the client's credentials, no organization. */
  revocation: string[];
  /** Token introspection (RFC 7662): same. */
  introspection: string[];
  /** OIDC RP-initiated logout (end_session_endpoint): routed by id_token_hint or the session marker. */
  logout: string[];
  /** Discovery and SAML metadata documents. */
  metadata: string[];
  /** The provider's own JWKS path; null when its tokens are not verified against the auth domain. */
  jwks: string | null;
};

export const PRESET_SHAPES: Record<Preset, PresetShape> = {
  auth0: {
    authorize: ["/authorize"],
    token: ["/oauth/token"],
    samlAcs: ["/login/callback"],
    oidcCallback: ["/login/callback"],
    samlLogout: ["/logout"],
    userinfo: ["/userinfo"],
    revocation: ["/oauth/revoke"],
    introspection: [],
    logout: ["/oidc/logout", "/v2/logout"],
    metadata: ["/samlp/metadata", "/.well-known/openid-configuration"],
    jwks: "/.well-known/jwks.json",
  },
  cognito: {
    authorize: ["/oauth2/authorize"],
    token: ["/oauth2/token"],
    samlAcs: ["/saml2/idpresponse"],
    oidcCallback: ["/oauth2/idpresponse"],
    samlLogout: ["/saml2/logout"],
    userinfo: ["/oauth2/userInfo"],
    revocation: ["/oauth2/revoke"],
    introspection: [],
    logout: ["/logout"],
    metadata: ["/.well-known/openid-configuration"],
    jwks: "/.well-known/jwks.json",
  },
  firebase: {
    authorize: [],
    token: [],
    samlAcs: ["/__/auth/handler"],
    oidcCallback: ["/__/auth/handler"],
    samlLogout: [],
    userinfo: [],
    revocation: [],
    introspection: [],
    logout: [],
    metadata: [],
    jwks: null,
  },
  workos: {
    authorize: ["/sso/authorize"],
    token: ["/sso/token"],
    samlAcs: ["/sso/saml/acs/:connection"],
    oidcCallback: ["/sso/oidc/callback/:connection"],
    samlLogout: ["/sso/saml/slo/:connection"],
    userinfo: [],
    revocation: [],
    introspection: [],
    logout: [],
    metadata: ["/sso/saml/metadata/:connection"],
    jwks: null,
  },
  scalekit: {
    authorize: ["/oauth/authorize"],
    token: ["/oauth/token"],
    samlAcs: ["/sso/v1/saml/:connection/callback"],
    oidcCallback: ["/sso/v1/oidc/:connection/callback"],
    samlLogout: ["/sso/v1/saml/:connection/logout"],
    userinfo: ["/userinfo"],
    revocation: [],
    introspection: [],
    logout: [],
    metadata: ["/.well-known/openid-configuration", "/sso/v1/saml/:connection/metadata"],
    jwks: "/keys",
  },
  okta: {
    authorize: ["/oauth2/v1/authorize", "/oauth2/default/v1/authorize"],
    token: ["/oauth2/v1/token", "/oauth2/default/v1/token"],
    samlAcs: ["/sso/saml2/:connection"],
    oidcCallback: ["/oauth2/v1/authorize/callback"],
    samlLogout: [],
    userinfo: ["/oauth2/v1/userinfo", "/oauth2/default/v1/userinfo"],
    revocation: ["/oauth2/v1/revoke", "/oauth2/default/v1/revoke"],
    introspection: ["/oauth2/v1/introspect", "/oauth2/default/v1/introspect"],
    logout: ["/oauth2/v1/logout", "/oauth2/default/v1/logout"],
    metadata: ["/.well-known/openid-configuration", "/oauth2/default/.well-known/openid-configuration"],
    jwks: "/oauth2/v1/keys",
  },
  generic: {
    authorize: ["/authorize", "/oauth/authorize", "/oauth2/authorize"],
    token: ["/token", "/oauth/token", "/oauth2/token"],
    samlAcs: [],
    oidcCallback: ["/callback"],
    samlLogout: [],
    userinfo: ["/userinfo", "/me"],
    revocation: ["/revoke", "/oauth/revoke", "/oauth2/revoke", "/token/revocation"],
    introspection: ["/introspect", "/oauth2/introspect", "/token/introspection"],
    logout: ["/logout", "/session/end"],
    metadata: ["/.well-known/openid-configuration"],
    jwks: "/.well-known/jwks.json",
  },
};
