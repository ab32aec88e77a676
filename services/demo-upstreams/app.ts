import { DEMO_PREFLIGHT } from "../../shared/config.ts";

/**
 * A stand-in identity provider for trying ssomigrate: it answers every request with what it
 * received, so anyone can see which provider a request reached and that its bytes arrived
 * unchanged (compare `bodySha256` with `sha256sum` of what you sent).
 */
export function demoUpstream(provider: string): (request: Request) => Promise<Response> {
  return async function echo(request) {
    const login = demoApplicationLogin(request);
    if (login) return login;
    const target = request.url.slice(request.url.indexOf("/", request.url.indexOf("//") + 2));
    const queryAt = target.indexOf("?");
    const body = new Uint8Array(await request.arrayBuffer());
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return Response.json({
      provider,
      method: request.method,
      path: queryAt === -1 ? target : target.slice(0, queryAt),
      query: queryAt === -1 ? "" : target.slice(queryAt + 1),
      bodySha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
      headers,
    });
  };
}

/** The application the demo providers know: `demoConfig` presents it for preflight. */
const DEMO_APPLICATION = DEMO_PREFLIGHT;

/**
 * The customers the demo providers have a connection for: a connection name or an email domain
 * leads to that customer's (pretend) IdP. Anything else is unknown, as on a real provider.
 */
export const DEMO_DIRECTORY: Readonly<Record<string, string>> = {
  "acme-okta": "acme",
  "acme.com": "acme",
  "globex-entra": "globex",
  "globex.com": "globex",
  "initech-adfs": "initech",
  "initech.com": "initech",
};

/**
 * An authorize request from the demo application, answered as a provider with enterprise
 * connections does: a connection (or a login hint's domain) it knows sends the browser on to
 * that customer's IdP; any other gets an OAuth error redirect. This is what makes a preflight
 * work against the demo providers. Every other request is echoed.
 */
function demoApplicationLogin(request: Request): Response | null {
  const url = new URL(request.url);
  if (request.method !== "GET" || url.pathname !== "/authorize" || url.searchParams.get("client_id") !== DEMO_APPLICATION.clientId) return null;
  if (url.searchParams.get("redirect_uri") !== DEMO_APPLICATION.redirectUri) return Response.json({ error: "invalid_request", error_description: "redirect_uri is not registered" }, { status: 400 });
  const state = url.searchParams.get("state");
  const connection = url.searchParams.get("connection");
  const hint = url.searchParams.get("login_hint");
  const customer = DEMO_DIRECTORY[connection ?? hint?.slice(hint.lastIndexOf("@") + 1).toLowerCase() ?? ""];
  if (customer) {
    const idp = new URL(`https://${customer}.idp.example/sso/saml`);
    if (state !== null) idp.searchParams.set("RelayState", state);
    return new Response(null, { status: 302, headers: { location: idp.href } });
  }
  const back = new URL(DEMO_APPLICATION.redirectUri);
  back.searchParams.set("error", "invalid_request");
  back.searchParams.set("error_description", "no connection for this login");
  if (state !== null) back.searchParams.set("state", state);
  return new Response(null, { status: 302, headers: { location: back.href } });
}
