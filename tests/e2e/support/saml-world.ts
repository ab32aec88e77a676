import { freePort } from "../../support/processes.ts";
import { Browser, parseForm } from "./browser.ts";
import { selfSignedCredential } from "./keys.ts";
import { startRouterCluster, type RouterCluster } from "./router-cluster.ts";
import { startCustomerIdp, type CustomerIdp, type PostedMessage } from "./saml-idp.ts";
import { startSamlServiceProvider, type SamlConnection, type SamlServiceProvider } from "./saml-sp.ts";

export type ProviderId = "legacy" | "target";

/** Organizations that the router knows, each with its own IdP tenant; `hooli` is a customer the router was never told about. */
export const REGISTERED = ["acme", "globex", "initech", "umbrella"] as const;
export const UNREGISTERED = "hooli";

/**
 * The customer's IdP (samlify), two real service providers (node-saml) as the legacy and target
 * provider with the same Entity ID, ACS URL and decryption key on the auth domain, and two
 * router instances in front of them.
 */
export async function startSamlWorld() {
  const publicPort = await freePort();
  const publicUrl = `http://127.0.0.1:${publicPort}`;
  const sp = { entityId: `${publicUrl}/saml/metadata`, acsUrl: `${publicUrl}/saml/acs`, sloUrl: `${publicUrl}/saml/slo` };
  const encryption = await selfSignedCredential("sp-encryption.example.test");
  const closers: (() => Promise<void>)[] = [];
  try {
    const idp: CustomerIdp = await startCustomerIdp({ ...sp, encryptionCertificatePem: encryption.certificatePem }, [...REGISTERED, UNREGISTERED]);
    closers.push(idp.close);
    const connection = (name: string): SamlConnection => {
      const tenant = idp.tenant(name);
      return { name, idpEntityId: tenant.entityId, idpSsoUrl: tenant.ssoUrl, idpCertificatePem: tenant.credential.certificatePem };
    };
    const start = async (id: ProviderId, names: string[]) => {
      const started = await startSamlServiceProvider({ id, ...sp, decryptionKeyPem: encryption.privateKeyPem, connections: names.map(connection) });
      closers.push(started.close);
      return started;
    };
    // Every customer started on legacy; the target was given the registered ones' connections.
    const providers: Record<ProviderId, SamlServiceProvider> = {
      legacy: await start("legacy", [...REGISTERED, UNREGISTERED]),
      target: await start("target", [...REGISTERED]),
    };
    const cluster: RouterCluster = await startRouterCluster({
      publicPort,
      defaultProvider: "legacy",
      instances: 2,
      providers: [
        { id: "legacy", role: "legacy", origin: providers.legacy.origin },
        { id: "target", role: "target", origin: providers.target.origin, preserveHost: true },
      ],
    });
    closers.unshift(cluster.close);
    for (const name of REGISTERED) {
      await cluster.register(name, [
        { kind: "saml_issuer", value: idp.tenant(name).entityId },
        { kind: "connection", value: name },
        { kind: "domain", value: `${name}.com` },
      ]);
    }
    return {
      publicUrl,
      sp,
      idp,
      providers,
      cluster,
      browser: (instance: () => number = () => 0) => new Browser(cluster.balancer(instance)),
      async close() {
        for (const close of closers) await close();
      },
    };
  } catch (error) {
    for (const close of closers) await close();
    throw error;
  }
}

export type SamlWorld = Awaited<ReturnType<typeof startSamlWorld>>;

/**
 * An SP-initiated login in two halves, so a test can act between them: `start` opens the
 * provider's authorize URL through the router and follows the AuthnRequest to the IdP, which
 * answers with its auto-posting form; `finish` posts that form to the ACS through the router.
 */
export class SamlLogin {
  readonly browser: Browser;
  readonly #publicUrl: string;
  posted: PostedMessage | null = null;

  constructor(world: { publicUrl: string }, browser: Browser) {
    this.browser = browser;
    this.#publicUrl = world.publicUrl;
  }

  async start(query: Record<string, string>): Promise<void> {
    const { response, url } = await this.browser.navigate(`${this.#publicUrl}/authorize?${new URLSearchParams(query)}`);
    const html = await response.text();
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${html.slice(0, 300)}`);
    const form = parseForm(html, url);
    this.posted = { action: form.action.href, fields: Object.fromEntries(form.fields) };
  }

  /** Posts the IdP's form to the ACS through the router; `change` lets a test tamper with it first. */
  finish(change: (fields: Record<string, string>) => Record<string, string> = (f) => f) {
    if (!this.posted) throw new Error("the login was not started");
    return post(this.browser, { action: this.posted.action, fields: change({ ...this.posted.fields }) });
  }
}

/** The browser posting an IdP's form (an auto-submitting page) to where it points. */
export async function post(browser: Browser, message: PostedMessage): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await browser.request(message.action, { method: "POST", body: new URLSearchParams(message.fields) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: response.status, body: { raw: text } };
  }
}
