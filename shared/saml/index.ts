export { decodeBase64 } from "./decode-base64.ts";
export {
  DEFAULT_MAX_SAML_BYTES,
  decodeSamlMessage,
  type DecodeSamlMessageOptions,
  type SamlBinding,
} from "./decode-saml-message.ts";
export { inflateRawWithLimit } from "./inflate-raw-with-limit.ts";
export { inspectSamlMessage } from "./inspect-saml-message.ts";
export { readSamlMessage, type SamlMessageSummary } from "./read-saml-message.ts";
export { SAML_ASSERTION_NS, SAML_PROTOCOL_NS } from "./saml-namespaces.ts";
export { DEFAULT_XML_LIMITS, MAX_ELEMENT_DEPTH, type XmlLimits } from "./xml-limits.ts";
