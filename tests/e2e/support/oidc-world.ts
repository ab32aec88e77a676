import { decodeProtectedHeader, type JWK } from "jose";
import type { ClientMetadata } from "oidc-provider";
import * as oidc from "openid-client";
import { freePort } from "../../support/processes.ts";
import { Browser, parseForm, type Dialer } from "./browser.ts";
import { signingJwk } from "./keys.ts";
import { startOpenIdProvider, type OpenIdProvider } from "./openid-provider.ts";
import { startRouterCluster, type RouterCluster } from "./router-cluster.ts";

export const REDIRECT_URI = "https://app.example.test/callback";
export const APP = { id: "app", secret: `app-secret-${crypto.randomUUID()}` };
export const M2M_ACME = { id: "m2m-acme", secret: `m2m-secret-${crypto.randomUUID()}` };
export const APP_JWT = "app-jwt";

export type ProviderId = "legacy" | "target";

/**
 * Two real OpenID providers behind two router instances, and the application's relying party
 * (openid-client) configured by discovery through the router. Both providers know the same
 * clients (a migration imports them) and sign with their own keys.
 */
export async function startOidcWorld() {
  const publicPort = await freePort();
  const issuer = `http://127.0.0.1:${publicPort}`;
  const keys = { legacy: await signingJwk("legacy-signing-key"), target: await signingJwk("target-signing-key") };
  const clientKey = await signingJwk("app-jwt-client-key");
  const clients: ClientMetadata[] = [
    { client_id: APP.id, client_secret: APP.secret, redirect_uris: [REDIRECT_URI], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "client_secret_post" },
    { client_id: APP_JWT, redirect_uris: [REDIRECT_URI], grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [clientKey.publicJwk] } },
    { client_id: M2M_ACME.id, client_secret: M2M_ACME.secret, redirect_uris: [], grant_types: ["client_credentials"], response_types: [], token_endpoint_auth_method: "client_secret_basic" },
  ];
  const providers: Partial<Record<ProviderId, OpenIdProvider>> = {};
  let cluster: RouterCluster | null = null;
  try {
    // One provider builds its URLs from X-Forwarded-*, the other is sent the public Host: both ways a custom domain is served.
    providers.legacy = await startOpenIdProvider({ id: "legacy", issuer, signingKey: keys.legacy.privateJwk, clients, trustProxy: true });
    providers.target = await startOpenIdProvider({ id: "target", issuer, signingKey: keys.target.privateJwk, clients, trustProxy: false });
    cluster = await startRouterCluster({
      publicPort,
      defaultProvider: "legacy",
      instances: 2,
      providers: [
        { id: "legacy", role: "legacy", origin: providers.legacy.origin, jwksPath: "/jwks" },
        { id: "target", role: "target", origin: providers.target.origin, jwksPath: "/jwks", preserveHost: true },
      ],
    });
  } catch (error) {
    await Promise.all(Object.values(providers).map((p) => p.close()));
    throw error;
  }
  const routers = cluster;
  const { legacy, target } = providers as Record<ProviderId, OpenIdProvider>;

  /** The relying party, discovering the provider through the router (through `instance`, default 0). */
  async function relyingParty(options: { clientId?: string; secret?: string; auth?: oidc.ClientAuth; instance?: () => number } = {}) {
    const fetch = balancedFetch(routers.balancer(options.instance ?? (() => 0)));
    const clientId = options.clientId ?? APP.id;
    const config = await oidc.discovery(new URL(issuer), clientId, options.secret ?? (clientId === APP.id ? APP.secret : undefined), options.auth, {
      execute: [oidc.allowInsecureRequests],
      [oidc.customFetch]: fetch,
    });
    oidc.enableNonRepudiationChecks(config);
    return config;
  }

  return {
    issuer,
    cluster: routers,
    providers: { legacy, target },
    keys,
    clientKey,
    relyingParty,
    browser: (instance: () => number = () => 0) => new Browser(routers.balancer(instance)),
    /** Which provider signed a JWT, by its key id. */
    signer(jwt: string): ProviderId | "unknown" {
      const { kid } = decodeProtectedHeader(jwt);
      return kid === keys.legacy.publicJwk.kid ? "legacy" : kid === keys.target.publicJwk.kid ? "target" : "unknown";
    },
    publicJwks: { legacy: keys.legacy.publicJwk as JWK, target: keys.target.publicJwk as JWK },
    async close() {
      await routers.close();
      await Promise.all([legacy.close(), target.close()]);
    },
  };
}

export type OidcWorld = Awaited<ReturnType<typeof startOidcWorld>>;

/** The relying party's fetch: it reaches the router through the balancer, as the browser does. */
export function balancedFetch(dial: Dialer): oidc.CustomFetch {
  return (input, options) => {
    const url = new URL(input);
    const route = dial(url);
    const headers = new Headers(options.headers);
    if (route) headers.set("host", route.host);
    return globalThis.fetch(route ? route.connectTo + url.pathname + url.search : url, {
      method: options.method,
      headers,
      redirect: options.redirect,
      signal: options.signal ?? null,
      ...(options.body !== undefined && options.body !== null ? { body: options.body as BodyInit } : {}),
    });
  };
}

/**
 * An authorization-code login with PKCE as a browser does it: the authorize request through the
 * router, then the provider's own login and consent pages, each form submitted, every redirect
 * followed by hand, until the provider sends the browser back to the application.
 */
export class OidcLogin {
  readonly verifier = oidc.randomPKCECodeVerifier();
  readonly state = oidc.randomState();
  readonly browser: Browser;
  readonly #config: oidc.Configuration;
  #page: { html: string; url: URL } | null = null;
  callback: URL | null = null;
  /** With `response_mode=form_post`: the fields the provider's page posts to the application. */
  formPost: URLSearchParams | null = null;

  /** The authorization code the provider handed the application, however it was sent. */
  get code(): string | null {
    return this.formPost?.get("code") ?? this.callback?.searchParams.get("code") ?? null;
  }

  constructor(config: oidc.Configuration, browser: Browser) {
    this.#config = config;
    this.browser = browser;
  }

  /** Opens the authorization URL; the browser ends on the provider's login page. */
  async start(parameters: Record<string, string>): Promise<void> {
    const url = oidc.buildAuthorizationUrl(this.#config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid email",
      code_challenge: await oidc.calculatePKCECodeChallenge(this.verifier),
      code_challenge_method: "S256",
      state: this.state,
      ...parameters,
    });
    await this.#land(await this.browser.navigate(url, {}, isCallback));
  }

  /** Signs in and consents on whatever pages the provider shows, until it redirects to the app. */
  async finish(user: string): Promise<URL> {
    for (let page = 0; !this.callback && page < 4; page++) {
      if (!this.#page) throw new Error("the login has no page to continue from");
      const fields: Record<string, string> = this.#page.html.includes('name="login"') ? { login: user, password: "correct horse" } : {};
      await this.#land(await this.browser.submit(this.#page, fields, isCallback));
    }
    if (!this.callback) throw new Error("the provider never redirected back to the application");
    return this.callback;
  }

  /** The code exchange at the router's token endpoint; the ID token is checked by openid-client. */
  exchange(config: oidc.Configuration = this.#config) {
    const callback = this.formPost ? new Request(this.callback!, { method: "POST", body: this.formPost }) : this.callback!;
    return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: this.verifier, expectedState: this.state });
  }

  async #land(result: { response: Response; url: URL; stoppedAt: URL | null }): Promise<void> {
    if (result.stoppedAt) {
      this.callback = result.stoppedAt;
      this.#page = null;
      return;
    }
    const html = await result.response.text();
    if (result.response.status !== 200) throw new Error(`${result.url} answered ${result.response.status}: ${html.replace(/<style>[\s\S]*?<\/style>/, "").slice(0, 1500)}`);
    const form = /<form\b/i.test(html) ? parseForm(html, result.url) : null;
    if (form && form.method === "POST" && isCallback(form.action)) {
      // A form_post answer: the page would post these fields to the application at once.
      this.callback = form.action;
      this.formPost = new URLSearchParams(form.fields);
      this.#page = null;
      return;
    }
    this.#page = { html, url: result.url };
  }
}

const isCallback = (url: URL) => url.href.startsWith(REDIRECT_URI);
