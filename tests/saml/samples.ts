/** Small hand-written SAML messages for unit tests; the real-world corpus is in fixtures.ts. */

export const PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol";
export const ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion";

export interface ResponseParts {
  responseIssuer?: string;
  assertionIssuer?: string;
  encryptedAssertion?: boolean;
}

export function samlResponse(parts: ResponseParts = {}): string {
  const issuer = parts.responseIssuer === undefined ? "" : `<saml:Issuer>${parts.responseIssuer}</saml:Issuer>`;
  const assertion =
    parts.assertionIssuer === undefined
      ? ""
      : `<saml:Assertion ID="a1" Version="2.0"><saml:Issuer>${parts.assertionIssuer}</saml:Issuer></saml:Assertion>`;
  const encrypted = parts.encryptedAssertion === true ? "<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\"/></saml:EncryptedAssertion>" : "";
  return (
    `<samlp:Response xmlns:samlp="${PROTOCOL_NS}" xmlns:saml="${ASSERTION_NS}" ID="r1" Version="2.0" ` +
    `InResponseTo="req-1" Destination="https://sp.example.com/acs">` +
    `${issuer}<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `${assertion}${encrypted}</samlp:Response>`
  );
}

export const AUTHN_REQUEST =
  `<samlp:AuthnRequest xmlns:samlp="${PROTOCOL_NS}" xmlns:saml="${ASSERTION_NS}" ID="req-1" Version="2.0" ` +
  `Destination="https://idp.example.com/sso"><saml:Issuer>https://sp.example.com</saml:Issuer></samlp:AuthnRequest>`;
