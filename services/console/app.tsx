/** @jsxImportSource hono/jsx */
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { JSX } from "hono/jsx/jsx-runtime";
import { CodedError } from "../../shared/errors.ts";
import { statusOf } from "../http/problem.ts";
import type { ProviderCatalog } from "../../shared/providers.ts";
import type { EventStore } from "../../db/event-store.ts";
import type { OutcomeStore } from "../../db/outcome-store.ts";
import type { UnmatchedStore } from "../../db/unmatched-store.ts";
import type { ApiDispatch } from "../commands/app.ts";
import { grants, type Principal, type Scope } from "../commands/auth.ts";
import { CONSOLE_CSS, LIVE_JS } from "./assets.ts";
import { organizationPages } from "./organization-routes.tsx";
import { wavePages } from "./wave-routes.tsx";
import { readPages } from "./read-routes.tsx";
import { MessagePage, SignInPage } from "./pages.tsx";
import type { Session, Sessions } from "./session.ts";
import type { SignInLinks } from "./sign-in-links.ts";
import type { Chrome } from "./layout.tsx";

export type ConsoleDeps = {
  store: EventStore;
  providers: ProviderCatalog;
  sessions: Sessions;
  /** The embedded default's one-time links; absent in production. */
  links?: SignInLinks;
  /** Production sign-in (services/console/oidc-sign-in.ts), mounted at /console/auth/oidc; `label` names the IdP on the button. */
  oidc?: { routes: Hono<any>; label: string };
  outcomes?: OutcomeStore;
  unmatched?: UnmatchedStore;
  now?: () => number;
  flowTtlMs?: number;
};

export type ConsoleEnv = { Variables: { session: Session; csrf: string; principal: Principal; requestId: string } };
export type ConsoleContext = Context<ConsoleEnv>;

const MAX_FORM_BYTES = 16 * 1024;

/** What every page is served with: no framing, no script or style from anywhere but here, forms only to here. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** A page (JSX) as a full HTML document, with the console's security headers. */
export async function render(c: Context, page: JSX.Element, status = 200): Promise<Response> {
  const html = "<!DOCTYPE html>" + (await page.toString());
  return new Response(html, { status, headers: pageHeaders() });
}

export const pageHeaders = (): Record<string, string> => ({
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
});

export const chromeOf = (c: ConsoleContext, current?: string): Chrome => ({ session: c.get("session"), csrf: c.get("csrf"), ...(current ? { current } : {}) });

/**
 * A form is accepted only from a page of this console: its Origin (or, without one, the fetch
 * metadata) must name this host. The CSRF token then binds it to the session.
 */
function sameOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  if (origin && origin !== "null") {
    try {
      return new URL(origin).host === (c.req.header("host") ?? new URL(c.req.url).host);
    } catch {
      return false;
    }
  }
  return c.req.header("sec-fetch-site") === "same-origin";
}

/** The web console's routes; `api` runs its writes (and some reads) through the API's own routes. */
export function createConsole(deps: ConsoleDeps): (api: ApiDispatch) => Hono<ConsoleEnv> {
  return (api) => {
    const app = new Hono<ConsoleEnv>();
    const anonymous: Chrome = { session: null, csrf: null };

    app.onError(async (error, c) => {
      if (error instanceof CodedError) {
        return render(c, <MessagePage chrome={anonymous} title="Refused" message={`${error.code}: ${error.message}`} link={{ href: "/console", label: "Back to the overview" }} />, statusOf(error.code));
      }
      throw error; // the API's handler logs it and answers without internals
    });

    // The console's forms are a few fields; anything larger is not one of them.
    app.use(bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => render(c, <MessagePage chrome={anonymous} title="Too large" message="This form is larger than any of the console's." />, 413) }));

    app.get("/assets/console.css", (c) => c.body(CONSOLE_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "max-age=300" }));
    app.get("/assets/live.js", (c) => c.body(LIVE_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "max-age=300" }));

    // Sign-in. The link's token arrives in the query (never in the path, which the request log shows) and is spent by a POST.
    app.get("/sign-in", async (c) => {
      const link = deps.links ? (c.req.query("link") ?? null) : null;
      return render(c, <SignInPage link={link} oidc={deps.oidc ? { label: deps.oidc.label } : null} embedded={deps.links !== undefined} />);
    });
    app.post("/sign-in", async (c) => {
      if (!deps.links) return c.notFound();
      if (!sameOrigin(c)) return render(c, <MessagePage chrome={anonymous} title="Refused" message="This form came from another site." />, 403);
      const form = await c.req.parseBody();
      const token = typeof form.link === "string" ? form.link : "";
      const redeemed = await deps.links.redeem(token);
      if (!redeemed.ok) {
        const message = {
          used: "This sign-in link was already used. Each link signs in once: restart ssomigrate for a new one.",
          expired: "This sign-in link has expired. Restart ssomigrate for a new one.",
          unknown: "This sign-in link is not one this process printed (a restart forgets older links).",
        }[redeemed.why];
        return render(c, <MessagePage chrome={anonymous} title="Sign-in link refused" message={message} link={{ href: "/console/sign-in", label: "Sign in" }} />, redeemed.why === "unknown" ? 403 : 410);
      }
      return new Response(null, { status: 303, headers: { location: "/console", "set-cookie": await deps.sessions.cookieFor(redeemed.principal), "cache-control": "no-store" } });
    });
    if (deps.oidc) app.route("/auth/oidc", deps.oidc.routes);

    // Everything below needs a session; reading needs migrations:read.
    app.use(async function signedIn(c, next) {
      const session = await deps.sessions.read(c.req.header("cookie"));
      if (!session) {
        if (c.req.method === "GET" || c.req.method === "HEAD") return c.redirect("/console/sign-in", 303);
        return render(c, <MessagePage chrome={anonymous} title="Signed out" message="Your session has ended; sign in again." link={{ href: "/console/sign-in", label: "Sign in" }} />, 401);
      }
      c.set("session", session);
      c.set("csrf", await deps.sessions.csrfToken(session));
      c.set("principal", { subject: session.subject, scopes: session.scopes });
      if (c.req.method === "POST") {
        const form = await c.req.parseBody();
        if (!sameOrigin(c) || !(await deps.sessions.checkCsrf(session, typeof form.csrf === "string" ? form.csrf : undefined))) {
          return render(c, <MessagePage chrome={chromeOf(c)} title="Refused" message="This form could not be verified (it came from another site, or from a page older than your session). Go back, reload and try again." />, 403);
        }
      }
      await next();
    });

    app.post("/sign-out", (c) => new Response(null, { status: 303, headers: { location: "/console/sign-in", "set-cookie": deps.sessions.clearCookie } }));

    app.use(requireConsoleScope("migrations:read"));
    app.route("/", readPages(deps, api));
    app.route("/organizations", organizationPages(deps, api));
    app.route("/waves", wavePages(deps, api));
    // A console address that names no page gets a page that says so (a browser shows it), not the API's problem+json.
    app.all("*", (c) => render(c, <MessagePage chrome={chromeOf(c)} title="No such page" message={`The console has no page at ${c.req.path}.`} link={{ href: "/console", label: "Overview" }} />, 404));
    return app;
  };
}

/** Pages and actions need the same scopes as the API routes they show. */
export function requireConsoleScope(scope: Scope) {
  return async function consoleScope(c: ConsoleContext, next: () => Promise<void>) {
    if (!grants(c.get("session").scopes, scope)) {
      return render(c, <MessagePage chrome={chromeOf(c)} title="Not allowed" message={`This needs the ${scope} scope, which your sign-in does not carry.`} />, 403);
    }
    await next();
  };
}

/**
 * The OIDC module's `signedIn`: the session cookie is set here, on the answer to the IdP's
 * redirect. That redirect came from another site, so the SameSite=Strict cookie would not go
 * with a redirect onward; this same-site page's link (followed by live.js at once) does carry it.
 */
export function signedInLanding(sessions: Sessions) {
  return async (_c: Context, operator: { subject: string; name?: string; scopes: ReadonlySet<string> }): Promise<Response> => {
    const cookie = await sessions.cookieFor({ subject: operator.subject, scopes: operator.scopes, ...(operator.name ? { name: operator.name } : {}) });
    const page = <MessagePage chrome={{ session: null, csrf: null }} title="Signed in" message={`Signed in as ${operator.name ?? operator.subject}.`} link={{ href: "/console", label: "Continue to the console" }} />;
    const headers = new Headers(pageHeaders());
    headers.set("set-cookie", cookie);
    return new Response("<!DOCTYPE html>" + (await page.toString()), { status: 200, headers });
  };
}
