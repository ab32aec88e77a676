import { InvalidSamlMessage } from "../errors.ts";
import { MAX_ELEMENT_DEPTH } from "./xml-limits.ts";
import { refuseDtd } from "./refuse-dtd.ts";
import type { SamlMessageSummary } from "./read-saml-message.ts";
import { SAML_ASSERTION_NS, SAML_PROTOCOL_NS } from "./saml-namespaces.ts";

/*
 * The router's SAML reader: one pass over the text that checks XML 1.0 well-formedness (with
 * namespaces) and picks out what routing needs, without building a DOM. Building xmldom's DOM
 * cost about 80% of a routing decision for a 10 KB response (bench/decision); this reads the
 * same answer several times faster. `readSamlMessage` (xmldom) stays the reference: the
 * differential tests require that whatever this accepts, xmldom accepts and reads the same way.
 * Where xmldom is lenient (unquoted or valueless attributes, a bare `&`, `]]>` in text, `&#0;`),
 * this is strict, as the XML specification is: real IdPs sign canonical XML and never send those.
 */

const NAME_START = "A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}";
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const NCNAME = `[${NAME_START}][${NAME_CHAR}]*`;
/** A qualified name at the current position (sticky). */
const QNAME = new RegExp(`${NCNAME}(?::${NCNAME})?`, "uy");
const XML_DECLARATION = /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]+\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])[A-Za-z][A-Za-z0-9._-]*\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\3)?[ \t\r\n]*\?>/;
/** Characters XML 1.0 does not allow anywhere (C0 controls other than tab, LF, CR). */
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const XML_NS = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS = "http://www.w3.org/2000/xmlns/";
const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", apos: "'", quot: '"' };

type Scope = { prefixes: Map<string, string> | null; defaultNs: string | null | undefined };

const refuse = (why: string) => new InvalidSamlMessage(`message is not well-formed XML (${why})`);

export function scanSamlMessage(input: string): SamlMessageSummary {
  const xml = input.trimStart();
  if (xml.length === 0) throw new InvalidSamlMessage("empty message");
  refuseDtd(xml);
  if (FORBIDDEN.test(xml)) throw refuse("forbidden control character");
  const s = new Scanner(xml);
  s.document();
  return s.summary();
}

class Scanner {
  readonly xml: string;
  at = 0;
  /** Open elements' qualified names, for matching end tags. */
  readonly open: string[] = [];
  /** Namespace scopes; a scope is pushed only by elements that declare namespaces. */
  readonly scopes: { depth: number; scope: Scope }[] = [{ depth: 0, scope: { prefixes: new Map([["xml", XML_NS]]), defaultNs: null } }];
  rootSeen = false;
  type = "other";
  inResponseTo: string | null = null;
  destination: string | null = null;
  encrypted = false;
  rootIssuer: Capture | null = null;
  /** True once the root's first Issuer child was found (later ones do not count). */
  rootIssuerDecided = false;
  assertionDepth = -1;
  /** The first Assertion has closed: Issuers found later are not its children. */
  assertionDone = false;
  assertionIssuer: Capture | null = null;
  assertionIssuerDecided = false;

  constructor(xml: string) {
    this.xml = xml;
  }

  summary(): SamlMessageSummary {
    const assertionIssuer = this.assertionIssuer?.value() ?? null;
    return {
      type: this.type,
      issuer: this.rootIssuer?.value() ?? assertionIssuer,
      assertionIssuer,
      inResponseTo: this.inResponseTo,
      destination: this.destination,
      encrypted: this.encrypted,
    };
  }

  document(): void {
    const { xml } = this;
    if (xml.startsWith("<?xml")) {
      const declaration = XML_DECLARATION.exec(xml);
      if (!declaration) throw refuse("malformed XML declaration");
      this.at = declaration[0].length;
    }
    for (;;) {
      this.skipSpace();
      if (this.at >= xml.length) break;
      if (xml.startsWith("<!--", this.at)) this.comment();
      else if (xml.startsWith("<?", this.at)) this.instruction();
      else if (xml[this.at] === "<" && !this.rootSeen && /[^!/?]/.test(xml[this.at + 1] ?? "")) this.element();
      else throw refuse(this.rootSeen ? "content after the root element" : "content before the root element");
    }
    if (!this.rootSeen) throw refuse("no root element");
  }

  /** The root element and everything in it, iteratively (no recursion to exhaust). */
  element(): void {
    const { xml } = this;
    this.rootSeen = true;
    this.startTag();
    while (this.open.length > 0) {
      const lt = xml.indexOf("<", this.at);
      if (lt === -1) throw refuse("unclosed element");
      if (lt > this.at) this.text(this.at, lt);
      this.at = lt;
      const next = xml[lt + 1];
      if (next === "/") this.endTag();
      else if (next === "!") {
        if (xml.startsWith("<!--", lt)) this.comment();
        else if (xml.startsWith("<![CDATA[", lt)) this.cdata();
        else throw refuse("markup declaration inside an element");
      } else if (next === "?") this.instruction();
      else this.startTag();
    }
  }

  startTag(): void {
    const { xml } = this;
    this.at++;
    const qname = this.name(QNAME, "element name");
    const attributes: [string, string][] = [];
    for (;;) {
      const hadSpace = this.skipSpace();
      const c = xml[this.at];
      if (c === ">" || c === "/") break;
      if (c === undefined) throw refuse("unclosed start tag");
      if (!hadSpace) throw refuse("attributes must be separated by white space");
      const attribute = this.name(QNAME, "attribute name");
      this.skipSpace();
      if (xml[this.at] !== "=") throw refuse("attribute without a value");
      this.at++;
      this.skipSpace();
      if (attributes.some(([n]) => n === attribute)) throw refuse("duplicate attribute");
      attributes.push([attribute, this.attributeValue()]);
    }
    const selfClosing = xml[this.at] === "/";
    if (selfClosing && xml[this.at + 1] !== ">") throw refuse("malformed empty-element tag");
    this.at += selfClosing ? 2 : 1;

    const depth = this.open.length + 1;
    if (depth > MAX_ELEMENT_DEPTH) throw new InvalidSamlMessage(`elements are nested deeper than ${MAX_ELEMENT_DEPTH}`, { maxDepth: MAX_ELEMENT_DEPTH });
    this.declareNamespaces(attributes, depth);
    const colon = qname.indexOf(":");
    const local = colon === -1 ? qname : qname.slice(colon + 1);
    const ns = this.namespaceOf(colon === -1 ? null : qname.slice(0, colon));
    for (const [name] of attributes) {
      const at = name.indexOf(":");
      if (at !== -1 && name.slice(0, at) !== "xmlns") this.namespaceOf(name.slice(0, at));
    }
    this.noticeElement(depth, local, ns, attributes);
    if (selfClosing) this.closeScope(depth);
    else this.open.push(qname);
  }

  endTag(): void {
    this.at += 2;
    const qname = this.name(QNAME, "end tag name");
    this.skipSpace();
    if (this.xml[this.at] !== ">") throw refuse("malformed end tag");
    this.at++;
    if (this.open.pop() !== qname) throw refuse("end tag does not match its start tag");
    this.closeScope(this.open.length + 1);
  }

  /** Tracks what the summary needs as each element starts. */
  noticeElement(depth: number, local: string, ns: string | null, attributes: [string, string][]): void {
    if (depth === 1) {
      if (ns === SAML_PROTOCOL_NS) this.type = local;
      this.inResponseTo = attributes.find(([n]) => n === "InResponseTo")?.[1] ?? null;
      this.destination = attributes.find(([n]) => n === "Destination")?.[1] ?? null;
    }
    if (ns !== SAML_ASSERTION_NS) return;
    if (local === "EncryptedAssertion") this.encrypted = true;
    if (local === "Assertion" && this.assertionDepth === -1) this.assertionDepth = depth;
    if (local !== "Issuer") return;
    if (depth === 2 && !this.rootIssuerDecided) {
      this.rootIssuerDecided = true;
      this.rootIssuer = new Capture(depth);
      if (this.assertionDepth === 1 && !this.assertionIssuerDecided) {
        this.assertionIssuerDecided = true;
        this.assertionIssuer = this.rootIssuer;
      }
    } else if (depth === this.assertionDepth + 1 && !this.assertionDone && !this.assertionIssuerDecided) {
      this.assertionIssuerDecided = true;
      this.assertionIssuer = new Capture(depth);
    }
  }

  text(from: number, to: number): void {
    const raw = this.xml.slice(from, to);
    if (raw.includes("]]>")) throw refuse("']]>' in text");
    if (!this.capturing()) {
      if (raw.includes("&")) decodeReferences(raw); // still refused when malformed
      return;
    }
    const lines = raw.replace(/\r\n?/g, "\n"); // line-end normalization comes before references are read
    this.capture(lines.includes("&") ? decodeReferences(lines) : lines);
  }

  cdata(): void {
    const end = this.xml.indexOf("]]>", this.at + 9);
    if (end === -1) throw refuse("unclosed CDATA section");
    if (this.capturing()) this.capture(this.xml.slice(this.at + 9, end).replace(/\r\n?/g, "\n"));
    this.at = end + 3;
  }

  capturing(): boolean {
    const depth = this.open.length;
    return (this.rootIssuer?.depth === depth && !this.rootIssuer.closed) || (this.assertionIssuer?.depth === depth && !this.assertionIssuer.closed);
  }

  /** Text and CDATA directly inside a captured Issuer count; text of nested elements does not. */
  capture(value: string): void {
    const depth = this.open.length;
    const { rootIssuer, assertionIssuer } = this;
    if (rootIssuer && rootIssuer.depth === depth && !rootIssuer.closed) rootIssuer.parts.push(value);
    if (assertionIssuer && assertionIssuer !== rootIssuer && assertionIssuer.depth === depth && !assertionIssuer.closed) assertionIssuer.parts.push(value);
  }

  comment(): void {
    const end = this.xml.indexOf("--", this.at + 4);
    if (end === -1 || this.xml[end + 2] !== ">") throw refuse(end === -1 ? "unclosed comment" : "'--' inside a comment");
    this.at = end + 3;
  }

  /** SAML messages carry no processing instructions; refusing them keeps this reader no looser than xmldom. */
  instruction(): void {
    throw refuse("processing instructions are not accepted");
  }

  attributeValue(): string {
    const quote = this.xml[this.at];
    if (quote !== '"' && quote !== "'") throw refuse("attribute value must be quoted");
    const end = this.xml.indexOf(quote, this.at + 1);
    if (end === -1) throw refuse("unclosed attribute value");
    const raw = this.xml.slice(this.at + 1, end);
    this.at = end + 1;
    if (raw.includes("<")) throw refuse("'<' in an attribute value");
    // Attribute-value normalization: line ends, then each literal white space character, become a space.
    const spaced = raw.replace(/\r\n?|[\n\t]/g, " ");
    return spaced.includes("&") ? decodeReferences(spaced) : spaced;
  }

  declareNamespaces(attributes: [string, string][], depth: number): void {
    let scope: Scope | null = null;
    for (const [name, value] of attributes) {
      if (name === "xmlns") {
        scope ??= { prefixes: null, defaultNs: undefined };
        scope.defaultNs = value === "" ? null : value;
      } else if (name.startsWith("xmlns:")) {
        const prefix = name.slice(6);
        if (value === "" || prefix === "xmlns" || value === XMLNS_NS || (prefix === "xml") !== (value === XML_NS)) {
          throw refuse("invalid namespace declaration");
        }
        scope ??= { prefixes: null, defaultNs: undefined };
        (scope.prefixes ??= new Map()).set(prefix, value);
      }
    }
    if (scope) this.scopes.push({ depth, scope });
  }

  closeScope(depth: number): void {
    if (this.scopes.at(-1)!.depth === depth) this.scopes.pop();
    if (depth === this.assertionDepth) this.assertionDone = true;
    for (const c of [this.rootIssuer, this.assertionIssuer]) if (c && c.depth === depth) c.closed = true;
  }

  /** The namespace a prefix (null: the default namespace) is bound to here. */
  namespaceOf(prefix: string | null): string | null {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const scope = this.scopes[i]!.scope;
      if (prefix === null) {
        if (scope.defaultNs !== undefined) return scope.defaultNs;
      } else {
        const ns = scope.prefixes?.get(prefix);
        if (ns !== undefined) return ns;
      }
    }
    if (prefix === null) return null;
    throw refuse("unbound namespace prefix");
  }

  /** A qualified name; ASCII names (all of SAML's) are read by a loop, others by the full XML grammar. */
  name(pattern: RegExp, what: string): string {
    const ascii = asciiQName(this.xml, this.at);
    if (ascii > this.at) {
      const name = this.xml.slice(this.at, ascii);
      this.at = ascii;
      return name;
    }
    pattern.lastIndex = this.at;
    const match = pattern.exec(this.xml);
    if (!match) throw refuse(`invalid ${what}`);
    this.at += match[0].length;
    return match[0];
  }

  skipSpace(): boolean {
    const start = this.at;
    while (this.at < this.xml.length) {
      const c = this.xml.charCodeAt(this.at);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.at++;
    }
    return this.at > start;
  }

  skipPast(terminator: string, what: string): void {
    const end = this.xml.indexOf(terminator, this.at);
    if (end === -1) throw refuse(`unclosed ${what}`);
    this.at = end + terminator.length;
  }
}

const isNameStart = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
const isNameChar = (c: number) => isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;

/**
 * End of an all-ASCII qualified name starting at `from`, or `from` when the name is not plain
 * ASCII (then the caller uses the full grammar, which also decides whether it is a name at all).
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
  // A name that goes on with a non-ASCII character or a second colon is left to the full grammar.
  return next > 0x7f || next === 0x3a || xml.charCodeAt(at - 1) === 0x3a ? from : at;
}

/** The text of one Issuer element: its direct text and CDATA, line ends normalized, trimmed; null when blank. */
class Capture {
  readonly depth: number;
  readonly parts: string[] = [];
  closed = false;
  constructor(depth: number) {
    this.depth = depth;
  }
  value(): string | null {
    const text = this.parts.join("").trim();
    return text === "" ? null : text;
  }
}

/** Predefined entities and character references; anything else is refused (no DTD, no other entities). */
function decodeReferences(text: string): string {
  return text.replace(/&([^;&]*)(;?)/g, (_, body: string, semicolon: string) => {
    if (semicolon !== ";") throw refuse("'&' that starts no reference");
    const named = PREDEFINED[body];
    if (named !== undefined) return named;
    const code = /^#x[0-9a-fA-F]{1,6}$/.test(body) ? parseInt(body.slice(2), 16) : /^#[0-9]{1,7}$/.test(body) ? Number(body.slice(1)) : Number.NaN;
    const allowed = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
    if (!allowed) throw refuse(Number.isNaN(code) ? "undefined entity" : "invalid character reference");
    return String.fromCodePoint(code);
  });
}
