/**
 * A SAMLResponse of a realistic shape and size (about 10 KB once base64-encoded, like a signed
 * Okta or Entra ID response with a dozen attributes), for trying the router (`ssomig saml
 * sample`) and for the benchmarks. Its signature is filler: providers will reject it, the router
 * routes it.
 */
export const SAMPLE_ISSUER = "http://www.okta.com/exkbench0000000000";

export function sampleSamlResponse(targetBase64Bytes = 10 * 1024, issuer = SAMPLE_ISSUER): { xml: string; base64: string } {
  const attribute = (i: number) =>
    `<saml2:Attribute Name="attribute-${i}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"><saml2:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">value of attribute ${i} for jane.doe@acme.com</saml2:AttributeValue></saml2:Attribute>`;
  const signature = `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#id1"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>${"A".repeat(44)}</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>${"B".repeat(344)}</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${"C".repeat(1400)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>`;
  const build = (attributes: number) =>
    `<?xml version="1.0" encoding="UTF-8"?><saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" Destination="https://auth.example.com/saml2/idpresponse" ID="id1" IssueInstant="2026-01-01T00:00:00.000Z" Version="2.0"><saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">${escapeXml(issuer)}</saml2:Issuer>${signature}<saml2p:Status><saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></saml2p:Status><saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="id2" IssueInstant="2026-01-01T00:00:00.000Z" Version="2.0"><saml2:Issuer>${escapeXml(issuer)}</saml2:Issuer>${signature.replace("#id1", "#id2")}<saml2:Subject><saml2:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">jane.doe@acme.com</saml2:NameID><saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml2:SubjectConfirmationData NotOnOrAfter="2026-01-01T00:05:00.000Z" Recipient="https://auth.example.com/saml2/idpresponse"/></saml2:SubjectConfirmation></saml2:Subject><saml2:Conditions NotBefore="2026-01-01T00:00:00.000Z" NotOnOrAfter="2026-01-01T00:05:00.000Z"><saml2:AudienceRestriction><saml2:Audience>urn:amazon:cognito:sp:bench</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions><saml2:AttributeStatement>${Array.from({ length: attributes }, (_, i) => attribute(i)).join("")}</saml2:AttributeStatement></saml2:Assertion></saml2p:Response>`;
  let attributes = 0;
  let xml = build(attributes);
  while (Math.ceil(xml.length / 3) * 4 < targetBase64Bytes) xml = build(++attributes);
  return { xml, base64: btoa(xml) };
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
