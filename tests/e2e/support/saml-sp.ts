import { inflateRawSync } from "node:zlib";
import { SAML, ValidateInResponseTo, type CacheProvider } from "@node-saml/node-saml";
import { DOMParser } from "@xmldom/xmldom";
import { serve, type Server } from "../../../services/runtime/serve.ts";
import { cookieValue } from "../../../services/router/pin-cookie.ts";

/** A customer's IdP as the provider has it configured (one SAML connection per organization). */
export type SamlConnection = { name: string; idpEntityId: string; idpSsoUrl: string; idpCertificatePem: string };

/** What the service provider did, for assertions: every login it accepted and everything it refused. */
export type SpEvent =
  | { kind: "login"; nameId: string; inResponseTo: string | null; connection: string }
  | { kind: "logout"; nameId: string; connection: string }
  | { kind: "refused"; error: string };

const AUTHN_COOKIE = "sp_authn";
const SESSION_COOKIE = "sp_session";

/**
 * A real SAML service provider (node-saml) playing the legacy or the target provider. Both are
 * configured with the same Entity ID, ACS URL and decryption key on the auth domain, as a
 * migration requires. It checks what a provider checks: the signature, Audience, InResponseTo
 * (it remembers only the AuthnRequest IDs it issued itself), the Response's Destination, and
 * that an SP-initiated Response comes back to the browser that started it (a cookie).
 */
export async function startSamlServiceProvider(options: {
  id: string;
  entityId: string;
  acsUrl: string;
  sloUrl: string;
  decryptionKeyPem: string;
  connections: SamlConnection[];
  /**
   * Set: the provider acts as a broker does (Auth0, WorkOS): an accepted login sends the browser
   * back to the application with a code at this URL, instead of answering JSON.
   */
  applicationCallback?: string;
}) {
  const issued = new Map<string, string>();
  const cache: CacheProvider = {
    saveAsync: async (key, value) => (issued.set(key, value), { value, createdAt: Date.now() }),
    getAsync: async (key) => issued.get(key) ?? null,
    removeAsync: async (key) => {
      const value = key === null ? null : (issued.get(key) ?? null);
      if (key !== null) issued.delete(key);
      return value;
    },
  };
  const byName = new Map<string, SAML>();
  const byIdp = new Map<string, { name: string; saml: SAML }>();
  for (const connection of options.connections) {
    const saml = new SAML({
      issuer: options.entityId,
      callbackUrl: options.acsUrl,
      entryPoint: connection.idpSsoUrl,
      idpCert: connection.idpCertificatePem,
      idpIssuer: connection.idpEntityId,
      audience: options.entityId,
      decryptionPvk: options.decryptionKeyPem,
      wantAuthnResponseSigned: true,
      wantAssertionsSigned: true,
      validateInResponseTo: ValidateInResponseTo.ifPresent,
      cacheProvider: cache,
      acceptedClockSkewMs: 5000,
    });
    byName.set(connection.name, saml);
    byIdp.set(connection.idpEntityId, { name: connection.name, saml });
  }
  const events: SpEvent[] = [];
  const sessions = new Map<string, string>();
  const json = (body: unknown, status = 200, headers: Record<string, string> = {}) => Response.json({ sp: options.id, ...(body as object) }, { status, headers });
  const refuse = (error: string) => (events.push({ kind: "refused", error }), json({ error }, 403));

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/authorize") return startLogin(url);
    if (request.method === "POST" && url.pathname === "/saml/acs") return acs(request);
    if (request.method === "POST" && url.pathname === "/saml/slo") return slo(request);
    return json({ error: "not_found" }, 404);
  }

  /** SP-initiated login: an AuthnRequest to the connection's IdP by the Redirect binding. */
  async function startLogin(url: URL): Promise<Response> {
    const saml = byName.get(url.searchParams.get("connection") ?? "");
    if (!saml) return json({ error: "unknown_connection" }, 404);
    const location = await saml.getAuthorizeUrlAsync(url.searchParams.get("state") ?? "", undefined, {});
    const requestId = authnRequestId(new URL(location));
    return new Response(null, { status: 302, headers: { location, "set-cookie": `${AUTHN_COOKIE}=${requestId}; Path=/; HttpOnly; Secure; SameSite=None` } });
  }

  async function acs(request: Request): Promise<Response> {
    const form = new URLSearchParams(await request.text());
    const samlResponse = form.get("SAMLResponse") ?? "";
    const document = parse(samlResponse);
    const idp = byIdp.get(firstText(document, "Issuer") ?? "");
    if (!idp) return refuse("unknown IdP");
    try {
      const { profile } = await idp.saml.validatePostResponseAsync({ SAMLResponse: samlResponse });
      if (!profile) return refuse("no profile");
      // node-saml verified the Response's signature; Destination is in it.
      const destination = document.documentElement?.getAttribute("Destination");
      if (destination !== options.acsUrl) return refuse(`Destination ${destination} is not this ACS`);
      const inResponseTo = document.documentElement?.getAttribute("InResponseTo") || null;
      if (inResponseTo && cookieValue(request.headers.get("cookie"), AUTHN_COOKIE) !== inResponseTo) return refuse("the Response is not for this browser's AuthnRequest");
      const session = crypto.randomUUID();
      sessions.set(session, profile.nameID);
      events.push({ kind: "login", nameId: profile.nameID, inResponseTo, connection: idp.name });
      if (options.applicationCallback) {
        const back = new URL(options.applicationCallback);
        back.searchParams.set("code", crypto.randomUUID());
        return new Response(null, { status: 302, headers: { location: back.href, "set-cookie": `${SESSION_COOKIE}=${session}; Path=/; HttpOnly; Secure; SameSite=Lax` } });
      }
      return json({ nameId: profile.nameID, inResponseTo }, 200, { "set-cookie": `${SESSION_COOKIE}=${session}; Path=/; HttpOnly; Secure; SameSite=Lax` });
    } catch (error) {
      return refuse(error instanceof Error ? error.message : String(error));
    }
  }

  /** IdP-initiated single logout: a signed LogoutRequest by POST. */
  async function slo(request: Request): Promise<Response> {
    const form = new URLSearchParams(await request.text());
    const samlRequest = form.get("SAMLRequest") ?? "";
    const document = parse(samlRequest);
    const idp = byIdp.get(firstText(document, "Issuer") ?? "");
    if (!idp) return refuse("unknown IdP");
    try {
      const { profile, loggedOut } = await idp.saml.validatePostRequestAsync({ SAMLRequest: samlRequest });
      const destination = document.documentElement?.getAttribute("Destination");
      if (destination !== options.sloUrl) return refuse(`Destination ${destination} is not this SLO URL`);
      if (!profile || !loggedOut) return refuse("not a logout request");
      for (const [id, nameId] of sessions) if (nameId === profile.nameID) sessions.delete(id);
      events.push({ kind: "logout", nameId: profile.nameID, connection: idp.name });
      return json({ loggedOut: profile.nameID });
    } catch (error) {
      return refuse(error instanceof Error ? error.message : String(error));
    }
  }

  let server: Server | null = await serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => handle(request) });
  const port = server.port;
  const stop = async () => {
    await server?.close();
    server = null;
  };
  return {
    id: options.id,
    origin: `http://127.0.0.1:${port}`,
    /** The provider is down (its state is kept); `start()` listens on the same port again. */
    stop,
    start: async () => void (server ??= await serve({ port, hostname: "127.0.0.1", fetch: (request) => handle(request) })),
    events,
    /** The AuthnRequest IDs this SP issued and has not yet seen answered. */
    pending: () => [...issued.keys()],
    hasSession: (session: string) => sessions.has(session),
    close: stop,
  };
}

export type SamlServiceProvider = Awaited<ReturnType<typeof startSamlServiceProvider>>;

function authnRequestId(location: URL): string {
  const xml = inflateRawSync(Buffer.from(location.searchParams.get("SAMLRequest") ?? "", "base64")).toString("utf8");
  const id = /\bID="([^"]+)"/.exec(xml)?.[1];
  if (!id) throw new Error("the AuthnRequest has no ID");
  return id;
}

function parse(base64: string) {
  return new DOMParser({ onError: () => {} }).parseFromString(Buffer.from(base64, "base64").toString("utf8"), "text/xml");
}

function firstText(document: ReturnType<typeof parse>, localName: string): string | null {
  const root = document.documentElement;
  if (!root) return null;
  for (let node = root.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as unknown as { localName: string }).localName === localName) return node.textContent?.trim() ?? null;
  }
  return null;
}
