import { InvalidSamlMessage } from "../errors.ts";
import type { XmlLimits } from "./xml-limits.ts";

/*
 * One linear pass over the markup before xmldom parses it. It does two jobs:
 *  - it enforces the structural limits (xml-limits.ts), so that xmldom's per-node costs stay
 *    bounded whatever the attacker sends under the size limit;
 *  - it refuses what XML 1.0 forbids and xmldom lets through (unquoted or valueless attributes,
 *    attributes not separated by white space, a bare `&`, `]]>` in text, `&#0;`, control
 *    characters, `--` in a comment, names outside the XML grammar), so that what the router reads
 *    is what a conformant parser (libxml2, tests/support/libxml2.ts) reads.
 * Namespaces are left to xmldom and to the checks after it (parse-xml-strictly.ts). Every step
 * moves forward through the text; duplicate attribute names are found with one Set per element.
 */

/** The message is always read as UTF-8 (decode-saml-message.ts), so no other encoding may be declared. */
const XML_DECLARATION = /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]+\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])[Uu][Tt][Ff]-?8\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\3)?[ \t\r\n]*\?>/;
/** Characters XML 1.0 does not allow anywhere: C0 controls but tab, LF, CR; U+FFFE/U+FFFF; lone surrogates. */
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/u;
const NAME_START = "A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}";
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const NCNAME = `[${NAME_START}][${NAME_CHAR}]*`;
/** A namespace-qualified name at the current position (sticky): NCName, optionally `prefix:`. */
const QNAME = new RegExp(`${NCNAME}(?::${NCNAME})?`, "uy");
/** A reference at the current position (sticky); anything else after `&` is refused. */
const REFERENCE = /&(?:(lt|gt|amp|apos|quot)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/y;

const GT = 0x3e;
const SLASH = 0x2f;
const EQUALS = 0x3d;

export interface XmlStructure {
  /** The number of attributes (namespace declarations included) of each element, in document order. */
  attributeCounts: number[];
}

const malformed = (why: string) => new InvalidSamlMessage(`message is not well-formed XML (${why})`);

export function overLimit(limit: keyof XmlLimits, max: number, what: string): InvalidSamlMessage {
  return new InvalidSamlMessage(`message exceeds ${limit}: ${what} (at most ${max})`, { limit, max });
}

/** Checks `xml` (DTDs already refused) and returns what the namespace checks after xmldom need. */
export function checkXmlStructure(xml: string, limits: XmlLimits): XmlStructure {
  if (FORBIDDEN.test(xml)) throw malformed("a character XML does not allow");
  return new Lexer(xml, limits).document();
}

class Lexer {
  readonly xml: string;
  readonly limits: XmlLimits;
  at = 0;
  readonly open: string[] = [];
  readonly attributeCounts: number[] = [];
  /** Reused for every element: the names seen so far on the current start tag. */
  readonly names = new Set<string>();
  readonly ampersands: Cursor;
  readonly cdataEnds: Cursor;
  readonly lessThans: Cursor;
  nodes = 0;
  attributes = 0;
  declarations = 0;
  references = 0;

  constructor(xml: string, limits: XmlLimits) {
    this.xml = xml;
    this.limits = limits;
    this.ampersands = new Cursor(xml, "&");
    this.cdataEnds = new Cursor(xml, "]]>");
    this.lessThans = new Cursor(xml, "<");
  }

  document(): XmlStructure {
    const { xml } = this;
    if (xml.startsWith("<?xml")) {
      const declaration = XML_DECLARATION.exec(xml);
      if (!declaration) throw malformed("a malformed XML declaration, an encoding other than UTF-8, or a processing instruction");
      this.at = declaration[0].length;
    }
    let rootSeen = false;
    for (;;) {
      const lt = xml.indexOf("<", this.at);
      const end = lt === -1 ? xml.length : lt;
      if (this.open.length === 0) this.outsideRoot(end);
      else this.text(end);
      if (lt === -1) break;
      this.at = lt;
      const next = xml.charCodeAt(lt + 1);
      if (next === SLASH) this.endTag();
      else if (xml.startsWith("<!--", lt)) this.comment();
      else if (xml.startsWith("<![CDATA[", lt) && this.open.length > 0) this.cdata();
      else if (next === 0x21) throw malformed("a markup declaration");
      else if (next === 0x3f) throw malformed("a processing instruction");
      else if (this.open.length === 0 && rootSeen) throw malformed("more than one root element");
      else {
        rootSeen = true;
        this.startTag();
      }
    }
    if (!rootSeen) throw malformed("no root element");
    if (this.open.length > 0) throw malformed("an unclosed element");
    return { attributeCounts: this.attributeCounts };
  }

  /** Only white space may stand between the prolog's items and after the root element. */
  outsideRoot(end: number): void {
    for (let i = this.at; i < end; i++) {
      const c = this.xml.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) throw malformed("text outside the root element");
    }
    this.at = end;
  }

  /** Character data: no `]]>`, every `&` starts a well-formed reference. */
  text(end: number): void {
    const cdataEnd = this.cdataEnds.next(this.at);
    if (cdataEnd !== -1 && cdataEnd + 3 <= end) throw malformed("']]>' in text");
    this.checkReferences(this.at, end);
    this.at = end;
  }

  checkReferences(from: number, to: number): void {
    const { xml } = this;
    for (let amp = this.ampersands.next(from); amp !== -1 && amp < to; amp = this.ampersands.next(amp + 1)) {
      if (++this.references > this.limits.maxReferences) throw overLimit("maxReferences", this.limits.maxReferences, "too many character and entity references");
      REFERENCE.lastIndex = amp;
      const match = REFERENCE.exec(xml);
      if (match === null || REFERENCE.lastIndex > to) throw malformed("'&' that starts no reference");
      if (match[1] !== undefined) continue;
      const code = match[2] !== undefined ? Number(match[2]) : parseInt(match[3]!, 16);
      const allowed = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
      if (!allowed) throw malformed("a character reference to a character XML does not allow");
    }
  }

  node(): void {
    if (++this.nodes > this.limits.maxNodes) throw overLimit("maxNodes", this.limits.maxNodes, "too many elements, comments and CDATA sections");
  }

  comment(): void {
    this.node();
    const end = this.xml.indexOf("--", this.at + 4);
    if (end === -1) throw malformed("an unclosed comment");
    if (this.xml.charCodeAt(end + 2) !== GT) throw malformed("'--' inside a comment");
    this.at = end + 3;
  }

  cdata(): void {
    this.node();
    const end = this.xml.indexOf("]]>", this.at + 9);
    if (end === -1) throw malformed("an unclosed CDATA section");
    this.at = end + 3;
  }

  startTag(): void {
    const { xml, limits, names } = this;
    this.node();
    this.at++;
    const qname = this.name();
    if (this.open.length + 1 > limits.maxDepth) throw overLimit("maxDepth", limits.maxDepth, "elements nested too deep");
    if (names.size > 0) names.clear();
    let count = 0;
    for (;;) {
      const spaced = this.skipSpace();
      const c = xml.charCodeAt(this.at);
      if (c === GT || c === SLASH) break;
      if (Number.isNaN(c)) throw malformed("an unclosed start tag");
      if (!spaced) throw malformed("attributes not separated by white space");
      const attribute = this.name();
      if (++count > limits.maxAttributesPerElement) throw overLimit("maxAttributesPerElement", limits.maxAttributesPerElement, "an element with too many attributes");
      if (++this.attributes > limits.maxAttributes) throw overLimit("maxAttributes", limits.maxAttributes, "too many attributes");
      if (attribute === "xmlns" || attribute.startsWith("xmlns:")) {
        if (++this.declarations > limits.maxNamespaceDeclarations) throw overLimit("maxNamespaceDeclarations", limits.maxNamespaceDeclarations, "too many namespace declarations");
      }
      if (names.has(attribute)) throw malformed("a duplicate attribute");
      names.add(attribute);
      this.skipSpace();
      if (xml.charCodeAt(this.at) !== EQUALS) throw malformed("an attribute without a value");
      this.at++;
      this.skipSpace();
      this.attributeValue();
    }
    this.attributeCounts.push(count);
    if (xml.charCodeAt(this.at) === SLASH) {
      if (xml.charCodeAt(this.at + 1) !== GT) throw malformed("a malformed empty-element tag");
      this.at += 2;
    } else {
      this.at++;
      this.open.push(qname);
    }
  }

  attributeValue(): void {
    const { xml } = this;
    const quote = xml[this.at];
    if (quote !== '"' && quote !== "'") throw malformed("an unquoted attribute value");
    const end = xml.indexOf(quote, this.at + 1);
    if (end === -1) throw malformed("an unclosed attribute value");
    const lt = this.lessThans.next(this.at + 1);
    if (lt !== -1 && lt < end) throw malformed("'<' in an attribute value");
    this.checkReferences(this.at + 1, end);
    this.at = end + 1;
  }

  endTag(): void {
    this.at += 2;
    const qname = this.name();
    this.skipSpace();
    if (this.xml.charCodeAt(this.at) !== GT) throw malformed("a malformed end tag");
    this.at++;
    if (this.open.pop() !== qname) throw malformed("an end tag that does not match its start tag");
  }

  /** A qualified name; plain ASCII names (all of SAML's) by a loop, others by the XML grammar. */
  name(): string {
    const { xml } = this;
    let end = asciiQName(xml, this.at);
    if (end === this.at) {
      QNAME.lastIndex = this.at;
      if (!QNAME.test(xml)) throw malformed("an invalid name");
      end = QNAME.lastIndex;
    }
    const max = this.limits.maxNameLength;
    if (end - this.at > max) throw overLimit("maxNameLength", max, "a name too long");
    const name = xml.slice(this.at, end);
    this.at = end;
    return name;
  }

  skipSpace(): boolean {
    const start = this.at;
    for (;;) {
      const c = this.xml.charCodeAt(this.at);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.at++;
    }
    return this.at > start;
  }
}

const isNameStart = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
const isNameChar = (c: number) => isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;

/**
 * End of an all-ASCII qualified name starting at `from`, or `from` when the name is not plain
 * ASCII (the caller then uses the full grammar, which also decides whether it is a name at all).
 */
function asciiQName(xml: string, from: number): number {
  let at = from;
  for (let part = 0; part < 2; part++) {
    if (!isNameStart(xml.charCodeAt(at))) return from;
    at++;
    while (isNameChar(xml.charCodeAt(at))) at++;
    if (xml.charCodeAt(at) !== 0x3a || part === 1) break;
    at++;
  }
  const next = xml.charCodeAt(at);
  return next > 0x7f || next === 0x3a ? from : at;
}

/**
 * The next occurrence of a string at or after a position that only moves forward: each search
 * starts where the last one stopped, so finding every occurrence in the message is one pass,
 * however many short segments ask (a fresh indexOf per segment would rescan to the next
 * occurrence every time, quadratic when it is far away or absent).
 */
class Cursor {
  readonly xml: string;
  readonly needle: string;
  found = -2;
  constructor(xml: string, needle: string) {
    this.xml = xml;
    this.needle = needle;
  }
  /** Index of the first occurrence at or after `from`, or -1. `from` never decreases between calls. */
  next(from: number): number {
    if (this.found === -1 || this.found >= from) return this.found;
    this.found = this.xml.indexOf(this.needle, from);
    return this.found;
  }
}
