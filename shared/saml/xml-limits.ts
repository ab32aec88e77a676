/**
 * Structural limits checked before xmldom sees a message. Each bounds a dimension whose parsing
 * cost grows with it: xmldom spends a few microseconds per element, comment and CDATA section
 * (it compiles a regular expression for each end tag and each comment), resolves prefixes
 * through one prototype per enclosing namespace-declaring element (so nesting times lookups),
 * and decodes each reference in a callback. With every count capped, the cost of any message
 * under the size limit is bounded by a small multiple of a normal one (bench/worst-case).
 *
 * The caps are set so that the nastiest message under each stays within about 20 times the cost
 * of a normal 10 KB response (bench/RESULTS.md), and real SAML messages sit well below them: a
 * signed 10 KB response has about 50 elements, 60 attributes, 15 namespace declarations,
 * nesting 8 deep, names under 31 characters (`AttributeConsumingServiceIndex`) and a few dozen
 * `&#13;` in its base64 values; one with 250 group values (each an AttributeValue declaring
 * `xs` and `xsi`, as Okta sends them) about 300 elements, 810 attributes, 515 declarations.
 */
export interface XmlLimits {
  /** Elements nested inside one another (the document element is depth 1). */
  maxDepth: number;
  /** Elements, comments and CDATA sections in the whole message. */
  maxNodes: number;
  /** Attributes (namespace declarations included) on one element. */
  maxAttributesPerElement: number;
  /** Attributes (namespace declarations included) in the whole message. */
  maxAttributes: number;
  /** `xmlns` and `xmlns:p` declarations in the whole message. */
  maxNamespaceDeclarations: number;
  /** Characters in one element or attribute name, prefix included. */
  maxNameLength: number;
  /** Characters in one namespace name (URI). Checking a URI's syntax slows sharply past ~50,000 characters. */
  maxNamespaceUriLength: number;
  /** Character and entity references (`&#13;`, `&amp;`) in the whole message. */
  maxReferences: number;
}

export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxDepth: 32,
  maxNodes: 600,
  maxAttributesPerElement: 32,
  maxAttributes: 1200,
  maxNamespaceDeclarations: 600,
  maxNameLength: 48,
  maxNamespaceUriLength: 1024,
  maxReferences: 4000,
});

/** Kept for callers that only care about depth. */
export const MAX_ELEMENT_DEPTH = DEFAULT_XML_LIMITS.maxDepth;
