import { Hono, type Context } from "hono";
import { getCookie } from "hono/cookie";
import * as oidc from "openid-client";
import { subjectFault } from "../../shared/text.ts";
import type { Log } from "../http/log.ts";
import type { ConsoleOidcSettings } from "../settings.ts";
import { carriesClaim, operatorFrom, subjectOf, type Claims, type Operator } from "./oidc-operator.ts";
import { STATE_COOKIE, STATE_COOKIE_PATH, STATE_TTL_SECONDS, stateCookieCodec, type SignInState } from "./oidc-state-cookie.ts";
import { idpFault, onceEach, withinIdpTimeout } from "./idp-calls.ts";
import { defaultSignInErrorPage, signInErrorPage, type RenderSignInError, type SignInFault } from "./sign-in-faults.ts";

export type { Operator } from "./oidc-operator.ts";
export type { RenderSignInError, SignInErrorPage, SignInFault } from "./sign-in-faults.ts";

export type OidcSignInOptions = Omit<ConsoleOidcSettings, "cookieSecret" | "timeoutMs" | "scopes"> & {
  /** At least 32 bytes, the same on every API replica; absent: a random key for this process. */
  cookieSecret?: string;
  /** The bound on each call to the IdP; default 10 s. */
  timeoutMs?: number;
  /** Default: openid email profile. */
  scopes?: readonly string[];
  /** The console opens its session here (its answer is the callback's); called only for a person with a mapped role. */
  signedIn: (c: Context, operator: Operator) => Response | Promise<Response>;
  log: Log;
  /** The console's own rendering of a refused sign-in; default: a plain page. */
  errorPage?: RenderSignInError;
  /** Now, in ms (tests move it past the state cookie's expiry). */
  now?: () => number;
};

const SPENT_STATES_MAX = 10_000;

/**
 * The console's production sign-in, mounted at /console/auth/oidc: authorization code with PKCE
 * (S256), state and nonce, against the company's IdP, through openid-client. `/login` leaves for
 * the IdP; `/callback` checks its answer, exchanges the code, verifies the ID token, maps the
 * person's roles to scopes and hands the operator to `signedIn`. Nothing here logs or shows a
 * code, a token, the state or a cookie value.
 */
export function oidcSignInRoutes(options: OidcSignInOptions): Hono {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;
  const scopes = (options.scopes ?? ["openid", "email", "profile"]).join(" ");
  const render = options.errorPage ?? defaultSignInErrorPage;
  const issuer = new URL(options.issuer);
  const codec = stateCookieCodec(options.cookieSecret ?? crypto.getRandomValues(new Uint8Array(32)));
  // A state is spent by its first callback; a replay on this replica stops here, on another the IdP refuses the spent code.
  const spent = onceEach<string>(SPENT_STATES_MAX);
  const idp = <T>(call: () => Promise<T>) => withinIdpTimeout(timeoutMs + 500, call());

  // Discovered once, when first needed (an IdP down at start does not stop the API); a failure is retried next time.
  let discovered: Promise<oidc.Configuration> | null = null;
  const configuration = () =>
    (discovered ??= idp(async () => {
      const config = await oidc.discovery(issuer, options.clientId, undefined, options.clientSecret ? oidc.ClientSecretBasic(options.clientSecret) : oidc.None(), {
        timeout: timeoutMs / 1000,
        ...(issuer.protocol === "http:" ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
      config.timeout = timeoutMs / 1000;
      // The ID token's signature is checked against the IdP's keys too, not only trusted for arriving over TLS.
      oidc.enableNonRepudiationChecks(config);
      return config;
    }).catch((error) => {
      discovered = null;
      throw error;
    }));

  const refuse = async (c: Context, reason: SignInFault, detail: Record<string, unknown> = {}) => {
    options.log({ level: reason.startsWith("idp_") ? "error" : "warn", msg: "console sign-in refused", reason, ...detail });
    return render(c, signInErrorPage(reason));
  };

  const app = new Hono();

  app.get("/login", async (c) => {
    let config: oidc.Configuration;
    try {
      config = await configuration();
    } catch (error) {
      return noStore(await refuse(c, idpFault(error), { step: "discovery", ...errorSummary(error) }));
    }
    const flow: SignInState = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
    const authorize = oidc.buildAuthorizationUrl(config, {
      redirect_uri: options.redirectUrl,
      scope: scopes,
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: "S256",
    });
    const sealed = await (await codec).seal(flow, now());
    const response = noStore(c.redirect(authorize.href, 302));
    response.headers.append("set-cookie", stateCookie(sealed, STATE_TTL_SECONDS));
    return response;
  });

  app.get("/callback", async (c) => {
    const answer = new URL(c.req.url).searchParams;
    const flow = await (await codec).open(getCookie(c, STATE_COOKIE), now());
    // The cookie is spent whatever happens next: the answer below always clears it.
    const finish = (response: Response) => {
      const out = noStore(new Response(response.body, response));
      out.headers.set("referrer-policy", "no-referrer"); // this URL holds the code
      out.headers.append("set-cookie", stateCookie("", 0));
      return out;
    };
    if (answer.has("error")) {
      const error = answer.get("error")!;
      return finish(await refuse(c, error === "access_denied" ? "access_denied" : "idp_error", /^[\w.-]{1,64}$/.test(error) ? { idpError: error } : {}));
    }
    if (flow === "missing") return finish(await refuse(c, "no_sign_in"));
    if (flow === "expired") return finish(await refuse(c, "expired"));
    if (flow === "invalid" || answer.get("state") !== flow.state) return finish(await refuse(c, "bad_state"));
    if (!spent.take(flow.state, now() + STATE_TTL_SECONDS * 1000, now())) return finish(await refuse(c, "replayed"));

    let claims: Claims;
    let grantedScope: string | undefined;
    try {
      const config = await configuration();
      // The IdP's answer as sent to the registered redirect URL (behind a proxy, c.req.url may name an internal host).
      const current = new URL(options.redirectUrl);
      current.search = answer.toString();
      const tokens = await idp(() => oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true }));
      const idClaims: Claims = { ...tokens.claims()! };
      grantedScope = tokens.scope;
      claims = idClaims;
      // Many IdPs keep email and groups out of the ID token when an access token is issued: ask userinfo.
      const lacking = (options.rolesClaim !== "scope" && !carriesClaim(idClaims, options.rolesClaim)) || idClaims.email === undefined;
      if (lacking && config.serverMetadata().userinfo_endpoint) {
        const userinfo = await idp(() => oidc.fetchUserInfo(config, tokens.access_token, String(idClaims.sub)));
        claims = { ...userinfo, ...idClaims };
      }
    } catch (error) {
      return finish(await refuse(c, idpFault(error), { step: "code exchange", ...errorSummary(error) }));
    }
    const operator = operatorFrom({ claims, issuer: options.issuer, rolesClaim: options.rolesClaim, roleMap: options.roleMap, grantedScope });
    if ("refusal" in operator) return finish(await refuse(c, operator.refusal, { detail: operator.detail, ...(operator.refusal === "no_role" ? { subject: safeSubject(claims, options.issuer) } : {}) }));
    options.log({ level: "info", msg: "console sign-in", subject: operator.subject, scopes: [...operator.scopes] });
    return finish(await options.signedIn(c, operator));
  });

  return app;
}

/** The transient cookie: only where the IdP returns, unreadable by scripts, sent on the IdP's top-level redirect back (Lax). */
function stateCookie(value: string, maxAgeSeconds: number): string {
  return `${STATE_COOKIE}=${value}; Path=${STATE_COOKIE_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Lax`;
}

function noStore(response: Response): Response {
  response.headers.set("cache-control", "no-store");
  return response;
}

/** What a log may say about an IdP failure: openid-client's code and message, never its cause (it may hold claims or a body). */
function errorSummary(error: unknown): Record<string, unknown> {
  if (error instanceof oidc.ResponseBodyError) return { error: error.name, idpError: error.error, status: error.status };
  if (!(error instanceof Error)) return { error: String(error) };
  const cause = error.cause instanceof Error ? { cause: `${error.cause.name}: ${error.cause.message}` } : {};
  return { error: error.name, ...("code" in error && typeof error.code === "string" ? { code: error.code } : {}), message: error.message, ...cause };
}

/** Who was refused, for the administrator who must grant a role (the actor the event log would have named). */
function safeSubject(claims: Claims, issuer: string): string | undefined {
  const subject = subjectOf(claims, issuer);
  return subjectFault(subject) === null ? subject : undefined;
}
