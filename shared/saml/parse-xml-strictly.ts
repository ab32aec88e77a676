import { DOMParser, type Document, type Element } from "@xmldom/xmldom";
import { InvalidSamlMessage } from "../errors.ts";
import { checkXmlStructure, overLimit } from "./check-xml-structure.ts";
import { refuseDtd } from "./refuse-dtd.ts";
import { isUriReference } from "./uri-reference.ts";
import { DEFAULT_XML_LIMITS, type XmlLimits } from "./xml-limits.ts";

const ELEMENT_NODE = 1;
const XML_NS = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS = "http://www.w3.org/2000/xmlns/";
/** The one xmldom warning that is not about malformed input: it says the text holds U+FFFD. */
const REPLACEMENT_CHARACTER_WARNING = /replacement character/i;

/**
 * Every xmldom error and fatal error aborts the parse, and so do its warnings (an unquoted or
 * valueless attribute is a warning to xmldom), except the one about U+FFFD in the text.
 * Line ends are normalized as XML 1.0 says (CR LF and lone CR become LF), not as xmldom does by
 * default (XML 1.1's, which also turns U+0085 and U+2028 into LF: libxml2 keeps them, and so
 * must the Issuer the router routes on).
 */
const parser = new DOMParser({
  locator: false,
  normalizeLineEndings: (text: string) => text.replace(/\r\n?/g, "\n"),
  onError(level, message) {
    if (level !== "warning" || !REPLACEMENT_CHARACTER_WARNING.test(message)) throw new Error(message);
  },
});

/**
 * Parses namespace-aware XML and returns its document element, or refuses with
 * `InvalidSamlMessage`. The refusal never quotes the input: it may be attacker-controlled.
 * Order: DTDs refused, then the structural limits and XML 1.0 checks in one linear pass
 * (check-xml-structure.ts), then xmldom, then the namespace rules xmldom does not enforce.
 */
export function parseXmlStrictly(xml: string, limits: XmlLimits = DEFAULT_XML_LIMITS): Element {
  // A leading BOM or blank line is harmless, but xmldom rejects an XML declaration after it.
  const text = xml.trimStart();
  if (text.length === 0) throw new InvalidSamlMessage("empty message");
  refuseDtd(text);
  const { attributeCounts } = checkXmlStructure(text, limits);
  let document: Document;
  try {
    document = parser.parseFromString(text, "text/xml");
  } catch {
    throw new InvalidSamlMessage("message is not well-formed XML");
  }
  const root = singleDocumentElement(document);
  checkNamespaces(root, attributeCounts, limits);
  return root;
}

/** xmldom already refuses a second root; this keeps the guarantee independent of its version. */
function singleDocumentElement(document: Document): Element {
  let root: Element | null = null;
  for (let node = document.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType !== ELEMENT_NODE) continue;
    if (root !== null) throw new InvalidSamlMessage("message has more than one root element");
    root = node as Element;
  }
  if (root === null) throw new InvalidSamlMessage("message has no root element");
  return root;
}

const namespaceError = (why: string) => new InvalidSamlMessage(`message breaks the XML namespace rules (${why})`);

/**
 * What Namespaces in XML 1.0 requires and xmldom 0.9 does not check, over every element in
 * document order (the same order the structure check counted attributes in):
 *  - two attributes with the same namespace and local name (`a:x` and `b:x` where `a` and `b`
 *    bind one URI) are a duplicate. xmldom keeps only the last one, so an element that comes out
 *    with fewer attributes than the text gave it had such a duplicate;
 *  - a namespace name that is not a URI reference, `xmlns:xmlns`, `xmlns:p=""`, binding a prefix other than `xml` to the XML namespace, `xml`
 *    to another, or anything to the xmlns namespace are refused.
 */
function checkNamespaces(root: Element, attributeCounts: readonly number[], limits: XmlLimits): void {
  let index = 0;
  let node: Element | null = root;
  while (node !== null) {
    const attributes = node.attributes;
    if (attributes.length !== attributeCounts[index++]) throw namespaceError("two attributes with the same namespace and local name");
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes.item(i)!;
      if (attribute.namespaceURI !== XMLNS_NS) continue;
      if (attribute.value.length > limits.maxNamespaceUriLength) throw overLimit("maxNamespaceUriLength", limits.maxNamespaceUriLength, "a namespace name too long");
      checkDeclaration(attribute.prefix === null ? null : attribute.localName, attribute.value);
    }
    node = nextElement(node, root);
  }
  if (index !== attributeCounts.length) throw namespaceError("elements missing from the parsed document");
}

function checkDeclaration(prefix: string | null, uri: string): void {
  if (!isUriReference(uri)) throw namespaceError("a namespace name that is not a URI reference");
  if (uri === XMLNS_NS) throw namespaceError("the xmlns namespace declared");
  if (prefix === null) {
    if (uri === XML_NS) throw namespaceError("the XML namespace as the default namespace");
    return;
  }
  if (prefix === "xmlns") throw namespaceError("the xmlns prefix declared");
  if (uri === "") throw namespaceError("a prefix bound to no namespace");
  if ((prefix === "xml") !== (uri === XML_NS)) throw namespaceError("the xml prefix and the XML namespace bound apart");
}

/** The next element in document order (iterative: no recursion depth to exhaust). */
function nextElement(element: Element, root: Element): Element | null {
  const child = firstElementIn(element.firstChild);
  if (child !== null) return child;
  let current: Element | null = element;
  while (current !== null && current !== root) {
    const sibling = firstElementIn(current.nextSibling);
    if (sibling !== null) return sibling;
    current = current.parentNode as Element | null;
  }
  return null;
}

function firstElementIn(start: Element["firstChild"]): Element | null {
  for (let node = start; node !== null; node = node.nextSibling) if (node.nodeType === ELEMENT_NODE) return node as Element;
  return null;
}
