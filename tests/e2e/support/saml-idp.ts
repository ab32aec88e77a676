import * as xmllint from "@authenio/samlify-xmllint-wasm";
import * as samlify from "samlify";
import { serve, type Server } from "../../../services/runtime/serve.ts";
import { selfSignedCredential, type SigningCredential } from "./keys.ts";

const { binding: BINDING } = samlify.Constants.namespace;
const EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

// samlify checks every message it parses against the SAML schemas: the real ones, through xmllint.
samlify.setSchemaValidator(xmllint);

/** What samlify's POST binding returns (its type is not exported). */
type SamlifyPost = { context: string; entityEndpoint: string };

/** The service provider as the customer's IdP knows it: what the customer's IT team typed in once. */
export type ServiceProviderAsConfigured = { entityId: string; acsUrl: string; sloUrl: string; encryptionCertificatePem: string };

/** An auto-submitting HTML form, as an IdP sends the browser to the service provider's ACS. */
export type PostedMessage = { action: string; fields: Record<string, string> };

export type IdpTenant = {
  name: string;
  /** The IdP's Entity ID: the organization's `saml_issuer` identifier. */
  entityId: string;
  ssoUrl: string;
  credential: SigningCredential;
  /** An IdP-initiated login: a signed Response with no InResponseTo. */
  idpInitiated(user: string, options?: { encrypt?: boolean }): Promise<PostedMessage>;
  /** A signed LogoutRequest for the user, sent to the service provider's SLO URL by POST. */
  logoutRequest(user: string): Promise<PostedMessage>;
};

/**
 * The customer's IdP (playing Okta), built on samlify: one tenant per organization, each with
 * its own Entity ID and signing key. It is reached directly, never through the router: its
 * only address on the auth domain is the ACS URL it posts Responses to.
 */
export async function startCustomerIdp(sp: ServiceProviderAsConfigured, tenantNames: string[]) {
  const serviceProvider = samlify.ServiceProvider({
    entityID: sp.entityId,
    assertionConsumerService: [{ Binding: BINDING.post, Location: sp.acsUrl }],
    singleLogoutService: [{ Binding: BINDING.post, Location: sp.sloUrl }],
    wantAssertionsSigned: true,
    wantMessageSigned: true,
    wantLogoutRequestSigned: true,
    encryptCert: sp.encryptionCertificatePem,
  });
  type Tenant = { tenant: IdpTenant; plain: samlify.IdentityProviderInstance; user: string; respond(user: string, inResponseTo: string | null, encrypt: boolean): Promise<PostedMessage> };
  const tenants = new Map<string, Tenant>();
  const server: Server = await serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => handle(request) });
  const origin = `http://127.0.0.1:${server.port}`;

  async function createTenant(name: string): Promise<Tenant> {
    const credential = await selfSignedCredential(`${name}.okta.example`);
    const entityId = `http://www.okta.com/exk-${name}`;
    const ssoUrl = `${origin}/app/${name}/sso/saml`;
    const settings = {
      entityID: entityId,
      privateKey: credential.privateKeyPem,
      signingCert: credential.certificatePem,
      nameIDFormat: [EMAIL],
      singleSignOnService: [{ Binding: BINDING.redirect, Location: ssoUrl }],
      singleLogoutService: [{ Binding: BINDING.post, Location: `${origin}/app/${name}/slo/saml` }],
    };
    const plain = samlify.IdentityProvider(settings);
    const encrypting = samlify.IdentityProvider({ ...settings, isAssertionEncrypted: true });
    async function respond(user: string, inResponseTo: string | null, encrypt: boolean): Promise<PostedMessage> {
      const xml = responseXml({ issuer: entityId, destination: sp.acsUrl, audience: sp.entityId, nameId: user, inResponseTo });
      const message = (await (encrypt ? encrypting : plain).createLoginResponse(serviceProvider, { extract: {} }, "post", { email: user }, {
        customTagReplacement: () => xml,
        // Sign the assertion, encrypt it, then sign the Response around the EncryptedAssertion.
        encryptThenSign: encrypt,
      })) as SamlifyPost;
      return { action: message.entityEndpoint, fields: { SAMLResponse: message.context } };
    }
    const tenant: IdpTenant = {
      name,
      entityId,
      ssoUrl,
      credential,
      idpInitiated: (user, options = {}) => respond(user, null, options.encrypt ?? false),
      async logoutRequest(user) {
        const message = plain.createLogoutRequest(serviceProvider, "post", { logoutNameID: user }) as SamlifyPost;
        return { action: message.entityEndpoint, fields: { SAMLRequest: message.context } };
      },
    };
    return { tenant, plain, user: `alice@${name}.com`, respond };
  }
  try {
    for (const name of tenantNames) tenants.set(name, await createTenant(name));
  } catch (error) {
    await server.close();
    throw error;
  }

  /** SP-initiated: the AuthnRequest arrives by the Redirect binding; the user is signed in; a form posts the Response. */
  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const match = /^\/app\/([^/]+)\/sso\/saml$/.exec(url.pathname);
    const entry = match ? tenants.get(match[1]!) : undefined;
    if (!entry || request.method !== "GET") return new Response("not found", { status: 404 });
    try {
      const parsed = await entry.plain.parseLoginRequest(serviceProvider, "redirect", { query: Object.fromEntries(url.searchParams) });
      const authnRequest = parsed.extract.request as Record<string, string> | undefined;
      if (authnRequest?.assertionConsumerServiceUrl && authnRequest.assertionConsumerServiceUrl !== sp.acsUrl) {
        return new Response(`unknown ACS URL ${authnRequest.assertionConsumerServiceUrl}`, { status: 400 });
      }
      const posted = await entry.respond(entry.user, authnRequest?.id ?? null, false);
      const relayState = url.searchParams.get("RelayState");
      if (relayState !== null) posted.fields.RelayState = relayState;
      return new Response(autoPostPage(posted), { headers: { "content-type": "text/html; charset=utf-8" } });
    } catch (error) {
      return new Response(`the IdP refused the AuthnRequest: ${String(error)}`, { status: 400 });
    }
  }

  return {
    origin,
    tenant: (name: string) => tenants.get(name)!.tenant,
    close: () => server.close(),
  };
}

export type CustomerIdp = Awaited<ReturnType<typeof startCustomerIdp>>;

/** An Okta-shaped Response; samlify signs its Assertion and the Response itself. */
function responseXml(v: { issuer: string; destination: string; audience: string; nameId: string; inResponseTo: string | null }): { id: string; context: string } {
  const id = `_${crypto.randomUUID()}`;
  const assertionId = `_${crypto.randomUUID()}`;
  const now = new Date();
  const at = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();
  const inResponseTo = v.inResponseTo ? ` InResponseTo="${v.inResponseTo}"` : "";
  const context =
    `<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${at(0)}" Destination="${v.destination}"${inResponseTo}>` +
    `<saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">${v.issuer}</saml2:Issuer>` +
    `<saml2p:Status><saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></saml2p:Status>` +
    `<saml2:Assertion ID="${assertionId}" Version="2.0" IssueInstant="${at(0)}">` +
    `<saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">${v.issuer}</saml2:Issuer>` +
    `<saml2:Subject><saml2:NameID Format="${EMAIL}">${v.nameId}</saml2:NameID>` +
    `<saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml2:SubjectConfirmationData NotOnOrAfter="${at(300_000)}" Recipient="${v.destination}"${inResponseTo}/></saml2:SubjectConfirmation></saml2:Subject>` +
    `<saml2:Conditions NotBefore="${at(-60_000)}" NotOnOrAfter="${at(300_000)}"><saml2:AudienceRestriction><saml2:Audience>${v.audience}</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions>` +
    `<saml2:AuthnStatement AuthnInstant="${at(0)}" SessionIndex="${assertionId}"><saml2:AuthnContext><saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>` +
    `</saml2:Assertion></saml2p:Response>`;
  return { id, context };
}

function autoPostPage(message: PostedMessage): string {
  const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  const inputs = Object.entries(message.fields).map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}"/>`);
  return `<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" action="${escape(message.action)}">${inputs.join("")}</form></body></html>`;
}
