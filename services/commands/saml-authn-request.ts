import { Buffer } from "node:buffer";
import { deflateRawSync } from "node:zlib";
import { DOMImplementation, XMLSerializer } from "@xmldom/xmldom";

const SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML = "urn:oasis:names:tc:SAML:2.0:assertion";
const POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/** The application as the provider knows it when the application is a SAML service provider. */
export type SamlApplication = { entityId: string; acsUrl: string };

/**
 * An unsigned SAML 2.0 AuthnRequest from `app` to the provider at `destination`, encoded for the
 * HTTP-Redirect binding (SAML bindings §3.4.4.1: DEFLATE without a zlib header, then base64; the
 * caller URL-encodes it as `SAMLRequest`). The document is built with xmldom, so every value is
 * escaped by the serializer, never pasted into markup.
 */
export function redirectAuthnRequest(app: SamlApplication, destination: string, now: Date): { id: string; samlRequest: string } {
  // An ID is an xs:ID (an NCName): it must not start with a digit.
  const id = `_preflight-${crypto.randomUUID()}`;
  const document = new DOMImplementation().createDocument(SAMLP, "samlp:AuthnRequest", null);
  const request = document.documentElement!;
  request.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:saml", SAML);
  request.setAttribute("ID", id);
  request.setAttribute("Version", "2.0");
  request.setAttribute("IssueInstant", now.toISOString().replace(/\.\d{3}Z$/, "Z"));
  request.setAttribute("Destination", destination);
  request.setAttribute("AssertionConsumerServiceURL", app.acsUrl);
  request.setAttribute("ProtocolBinding", POST_BINDING);
  const issuer = document.createElementNS(SAML, "saml:Issuer");
  issuer.appendChild(document.createTextNode(app.entityId));
  request.appendChild(issuer);
  const xml = new XMLSerializer().serializeToString(document);
  return { id, samlRequest: deflateRawSync(Buffer.from(xml, "utf8")).toString("base64") };
}
