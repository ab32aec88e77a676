import type { Element, Node } from "@xmldom/xmldom";
import { parseXmlStrictly } from "./parse-xml-strictly.ts";
import { SAML_ASSERTION_NS, SAML_PROTOCOL_NS } from "./saml-namespaces.ts";
import { DEFAULT_XML_LIMITS, type XmlLimits } from "./xml-limits.ts";

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

/** What the router needs to know about a SAML protocol message. Absent values are null. */
export interface SamlMessageSummary {
  /** Local name of a SAML protocol root (Response, AuthnRequest, LogoutRequest...), else "other". */
  type: string;
  /** The routing Issuer: the root's own Issuer, else the first plain Assertion's Issuer. */
  issuer: string | null;
  /** Issuer of the first plain (not encrypted) Assertion in document order. */
  assertionIssuer: string | null;
  inResponseTo: string | null;
  destination: string | null;
  /** The message carries at least one EncryptedAssertion. */
  encrypted: boolean;
}

/**
 * Reads the routing facts out of SAML XML text with @xmldom/xmldom, behind the structural limits
 * (xml-limits.ts). Refuses (InvalidSamlMessage) empty input, DTDs, several roots, anything not
 * well-formed or over a limit. Signatures are not checked here: the provider the message is
 * forwarded to does that; the router only needs to know where to send it.
 */
export function readSamlMessage(xml: string, limits: XmlLimits = DEFAULT_XML_LIMITS): SamlMessageSummary {
  const root = parseXmlStrictly(xml, limits);
  const { firstAssertion, encrypted } = scanAssertions(root);
  const assertionIssuer = firstAssertion === null ? null : issuerOf(firstAssertion);
  return {
    type: root.namespaceURI === SAML_PROTOCOL_NS && root.localName !== null ? root.localName : "other",
    issuer: issuerOf(root) ?? assertionIssuer,
    assertionIssuer,
    inResponseTo: attribute(root, "InResponseTo"),
    destination: attribute(root, "Destination"),
    encrypted,
  };
}

/** The first direct child `saml:Issuer` (by namespace, whatever the prefix), trimmed; null if absent or blank. */
function issuerOf(element: Element): string | null {
  for (let child = element.firstChild; child !== null; child = child.nextSibling) {
    if (isAssertionElement(child, "Issuer")) return textOf(child);
  }
  return null;
}

/** XML's white space only: U+0085, U+2028 or U+00A0 around an Issuer are part of it, as a conformant parser reads it. */
const XML_SPACE_AROUND = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/** Text and CDATA children only: a comment inside the Issuer must not split or hide its value. */
function textOf(element: Node): string | null {
  let text = "";
  for (let child = element.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === TEXT_NODE || child.nodeType === CDATA_SECTION_NODE) text += child.nodeValue ?? "";
  }
  text = text.replace(XML_SPACE_AROUND, "");
  return text === "" ? null : text;
}

/** Document-order walk (iterative: no recursion depth to exhaust), stopping once both answers are known. */
function scanAssertions(root: Element): { firstAssertion: Element | null; encrypted: boolean } {
  let firstAssertion: Element | null = null;
  let encrypted = false;
  let node: Node | null = root;
  while (node !== null && (firstAssertion === null || !encrypted)) {
    if (firstAssertion === null && isAssertionElement(node, "Assertion")) firstAssertion = node as Element;
    else if (isAssertionElement(node, "EncryptedAssertion")) encrypted = true;
    node = nextInDocumentOrder(node, root);
  }
  return { firstAssertion, encrypted };
}

function nextInDocumentOrder(node: Node, root: Node): Node | null {
  if (node.nodeType === ELEMENT_NODE && node.firstChild !== null) return node.firstChild;
  let current: Node | null = node;
  while (current !== null && current !== root) {
    if (current.nextSibling !== null) return current.nextSibling;
    current = current.parentNode;
  }
  return null;
}

function isAssertionElement(node: Node, localName: string): boolean {
  return node.nodeType === ELEMENT_NODE && (node as Element).localName === localName && node.namespaceURI === SAML_ASSERTION_NS;
}

/** Unprefixed attribute, value as parsed (XML attribute normalization applied, not trimmed). */
function attribute(element: Element, name: string): string | null {
  return element.getAttributeNode(name)?.value ?? null;
}
