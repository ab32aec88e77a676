import type { Preset } from "./config.ts";

/**
 * The URL shapes each provider family uses on the auth domain: every endpoint the router must
 * classify. Patterns are exact paths, have one `:connection` segment naming the provider's
 * connection (an identifier of kind `connection`), or end in `/*` (any path under that prefix).
 * Each entry names the public documentation it comes from; an empty list means the provider
 * serves no such endpoint on the custom domain (said where it matters).
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
  /** SAML metadata documents. */
  metadata: string[];
  /** The provider's own JWKS path; null when its tokens are not verified against the auth domain. */
  jwks: string | null;
  /** Token revocation (RFC 7009): a credential only, no organization. */
  revocation: string[];
  /** Token introspection (RFC 7662): a credential only, no organization. */
  introspection: string[];
  /** Browser logout of the provider's session (OIDC RP-initiated logout or the provider's own). */
  logout: string[];
  /** The provider's hosted login pages, reached after an authorize request (the flow's pin routes them). */
  hostedLogin: string[];
  /** OIDC discovery / OAuth authorization server metadata. */
  discovery: string[];
  /** Every JWKS path the provider publishes on the domain (forwarded; `jwks` is the one the merged JWKS reads). */
  jwksPaths: string[];
};

const OIDC_DISCOVERY = "/.well-known/openid-configuration";

export const PRESET_SHAPES: Record<Preset, PresetShape> = {
  auth0: {
    // https://auth0.com/docs/api/authentication#authorize-application
    authorize: ["/authorize"],
    // https://auth0.com/docs/api/authentication#get-token
    token: ["/oauth/token"],
    // https://auth0.com/docs/authenticate/protocols/saml/saml-sso-integrations (ACS: /login/callback?connection=NAME)
    samlAcs: ["/login/callback"],
    // https://auth0.com/docs/authenticate/identity-providers/enterprise-identity-providers/oidc (callback URL)
    oidcCallback: ["/login/callback"],
    // https://auth0.com/docs/authenticate/login/logout/log-users-out-of-saml-idps (SP-side SLO)
    samlLogout: ["/logout"],
    // https://auth0.com/docs/api/authentication#get-user-info
    userinfo: ["/userinfo"],
    // https://auth0.com/docs/authenticate/protocols/saml/saml-configuration (/samlp/metadata?connection=NAME)
    metadata: ["/samlp/metadata"],
    // https://auth0.com/docs/secure/tokens/json-web-tokens/json-web-key-sets
    jwks: "/.well-known/jwks.json",
    // https://auth0.com/docs/secure/tokens/refresh-tokens/revoke-refresh-tokens (POST /oauth/revoke)
    revocation: ["/oauth/revoke"],
    // Auth0 has no RFC 7662 introspection endpoint (JWT access tokens are verified locally).
    introspection: [],
    // https://auth0.com/docs/api/authentication/logout/oidc-logout (GET /oidc/logout); /v2/logout: Auth0's own logout
    logout: ["/oidc/logout", "/v2/logout"],
    // https://auth0.com/docs/authenticate/login/auth0-universal-login (Universal Login under /u/; classic /login,
    // /usernamepassword/login and /co/authenticate for embedded and cross-origin login; /continue resumes after a redirect Action)
    hostedLogin: ["/u/*", "/login", "/usernamepassword/login", "/co/authenticate", "/continue"],
    // https://auth0.com/docs/get-started/applications/configure-applications-with-oidc-discovery
    discovery: [OIDC_DISCOVERY],
    jwksPaths: ["/.well-known/jwks.json"],
  },
  cognito: {
    // https://docs.aws.amazon.com/cognito/latest/developerguide/federation-endpoints.html (every entry below unless noted)
    authorize: ["/oauth2/authorize"],
    token: ["/oauth2/token"],
    samlAcs: ["/saml2/idpresponse"],
    oidcCallback: ["/oauth2/idpresponse"],
    samlLogout: ["/saml2/logout"],
    userinfo: ["/oauth2/userInfo"],
    metadata: [],
    // Cognito publishes its keys at cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json, not on the
    // domain: set jwksPath only if the domain serves them (a rewrite in front of it).
    jwks: "/.well-known/jwks.json",
    revocation: ["/oauth2/revoke"],
    // Cognito has no RFC 7662 introspection endpoint.
    introspection: [],
    // https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html
    logout: ["/logout"],
    // https://docs.aws.amazon.com/cognito/latest/developerguide/managed-login-endpoints.html
    hostedLogin: ["/login", "/signup", "/confirmUser", "/forgotPassword", "/confirmforgotPassword", "/passkeys/add"],
    // Discovery lives at cognito-idp.<region>.amazonaws.com/<pool id>; listed for deployments that mirror it.
    discovery: [OIDC_DISCOVERY],
    jwksPaths: ["/.well-known/jwks.json"],
  },
  firebase: {
    // https://firebase.google.com/docs/auth/web/redirect-best-practices (/__/auth/handler receives every federated
    // answer, SAML and OIDC alike; /__/auth/iframe is its helper page)
    authorize: [],
    // Firebase tokens come from securetoken.googleapis.com and identitytoolkit.googleapis.com, never the auth domain:
    // no token, userinfo, revocation, introspection, logout, discovery or JWKS endpoint here.
    token: [],
    samlAcs: ["/__/auth/handler"],
    oidcCallback: ["/__/auth/handler"],
    samlLogout: [],
    userinfo: [],
    metadata: [],
    jwks: null,
    revocation: [],
    introspection: [],
    logout: [],
    // https://firebase.google.com/docs/auth/custom-email-handler (default action URL /__/auth/action)
    hostedLogin: ["/__/auth/iframe", "/__/auth/action", "/__/auth/links"],
    discovery: [],
    jwksPaths: [],
  },
  workos: {
    // https://workos.com/docs/reference/sso/get-authorization-url (GET /sso/authorize);
    // https://workos.com/docs/reference/authkit/authentication (GET /user_management/authorize)
    authorize: ["/sso/authorize", "/user_management/authorize"],
    // https://workos.com/docs/reference/sso/profile/get-profile-and-token (POST /sso/token);
    // https://workos.com/docs/reference/authkit/authentication (POST /user_management/authenticate)
    token: ["/sso/token", "/user_management/authenticate"],
    // ACS and OIDC redirect URI as the WorkOS dashboard shows them per connection (custom Auth API domain:
    // https://workos.com/docs/custom-domains/auth-api)
    samlAcs: ["/sso/saml/acs/:connection"],
    oidcCallback: ["/sso/oidc/callback/:connection"],
    samlLogout: ["/sso/saml/slo/:connection"],
    // https://workos.com/docs/reference/sso/profile (GET /sso/profile with the access token: WorkOS's userinfo)
    userinfo: ["/sso/profile"],
    metadata: ["/sso/saml/metadata/:connection"],
    jwks: null,
    // No RFC 7009 endpoint on the SSO API (session revocation is an API-key call naming a session, not a token);
    // WorkOS Connect's (https://workos.com/docs/reference/workos-connect/revocation) lives on the AuthKit domain.
    revocation: [],
    // No RFC 7662 introspection endpoint on the SSO API.
    introspection: [],
    // https://workos.com/docs/reference/sso/logout (GET /sso/logout); https://workos.com/docs/reference/authkit/logout
    logout: ["/sso/logout", "/user_management/sessions/logout"],
    hostedLogin: [],
    discovery: [],
    // https://workos.com/docs/reference/authkit/session-tokens (GET /sso/jwks/:clientId)
    jwksPaths: ["/sso/jwks/*"],
  },
  scalekit: {
    // Paths from Scalekit's SDK (scalekit-sdk-node: oauth/authorize, oauth/token, keys, oidc/logout) and
    // https://docs.scalekit.com/authenticate/sso/add-modular-sso/
    authorize: ["/oauth/authorize"],
    token: ["/oauth/token"],
    samlAcs: ["/sso/v1/saml/:connection/callback"],
    oidcCallback: ["/sso/v1/oidc/:connection/callback"],
    samlLogout: ["/sso/v1/saml/:connection/logout"],
    userinfo: ["/userinfo"],
    metadata: ["/sso/v1/saml/:connection/metadata"],
    jwks: "/keys",
    // Not in the public docs we could reach; the OAuth family's /oauth/* shape (check the discovery document).
    revocation: ["/oauth/revoke"],
    introspection: ["/oauth/introspect"],
    logout: ["/oidc/logout"],
    hostedLogin: [],
    discovery: [OIDC_DISCOVERY],
    jwksPaths: ["/keys"],
  },
  okta: {
    // https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/ (org authorization server /oauth2/v1/*,
    // custom authorization server /oauth2/{id}/v1/*: the default one is listed)
    authorize: ["/oauth2/v1/authorize", "/oauth2/default/v1/authorize"],
    token: ["/oauth2/v1/token", "/oauth2/default/v1/token"],
    // https://developer.okta.com/docs/guides/add-an-external-idp/saml2/main/ (ACS /sso/saml2/{idpId})
    samlAcs: ["/sso/saml2/:connection"],
    // https://developer.okta.com/docs/guides/add-an-external-idp/openidconnect/main/ (redirect URI)
    oidcCallback: ["/oauth2/v1/authorize/callback"],
    // Okta does not take SAML logout from external IdPs.
    samlLogout: [],
    userinfo: ["/oauth2/v1/userinfo", "/oauth2/default/v1/userinfo"],
    metadata: [],
    jwks: "/oauth2/v1/keys",
    // https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/orgas/revoke
    revocation: ["/oauth2/v1/revoke", "/oauth2/default/v1/revoke"],
    introspection: ["/oauth2/v1/introspect", "/oauth2/default/v1/introspect"],
    logout: ["/oauth2/v1/logout", "/oauth2/default/v1/logout"],
    // The Okta-hosted sign-in page and the Identity Engine API it calls.
    hostedLogin: ["/login/login.htm", "/signin/*", "/idp/idx/*"],
    discovery: [OIDC_DISCOVERY, "/oauth2/default/.well-known/openid-configuration", "/.well-known/oauth-authorization-server", "/oauth2/default/.well-known/oauth-authorization-server"],
    jwksPaths: ["/oauth2/v1/keys", "/oauth2/default/v1/keys"],
  },
  generic: {
    // Common OAuth 2.0 / OIDC paths, and node-oidc-provider's defaults (routes: /auth, /token, /me,
    // /token/revocation, /token/introspection, /session/end, /jwks): https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#routes
    authorize: ["/authorize", "/oauth/authorize", "/oauth2/authorize", "/auth"],
    token: ["/token", "/oauth/token", "/oauth2/token"],
    samlAcs: [],
    oidcCallback: ["/callback"],
    samlLogout: [],
    userinfo: ["/userinfo", "/me"],
    metadata: [],
    jwks: "/.well-known/jwks.json",
    // RFC 7009 and RFC 7662 define no path: the usual ones.
    revocation: ["/revoke", "/oauth/revoke", "/oauth2/revoke", "/token/revocation"],
    introspection: ["/introspect", "/oauth/introspect", "/oauth2/introspect", "/token/introspection"],
    // OpenID Connect RP-Initiated Logout 1.0 defines no path: the usual ones.
    logout: ["/logout", "/oidc/logout", "/session/end", "/end_session"],
    hostedLogin: [],
    discovery: [OIDC_DISCOVERY, "/.well-known/oauth-authorization-server"],
    jwksPaths: ["/.well-known/jwks.json", "/jwks"],
  },
};
