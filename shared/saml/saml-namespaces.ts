/** The two SAML 2.0 namespaces the reader cares about; prefixes are irrelevant, only these URIs count. */
export const SAML_PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol";
export const SAML_ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion";
