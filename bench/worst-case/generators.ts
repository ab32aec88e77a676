/**
 * The nastiest SAML message for each structural dimension: as many of the costly thing as the
 * limits allow, at the largest size the decoder accepts. Shared by the worst-case benchmark
 * (bench/worst-case/run.ts) and the property tests (tests/saml/bounded-cost.test.ts).
 *
 * Every message is a SAML Response with a routable Issuer, so the router does all of its work on
 * it; each `build(limits, maxBytes)` stays within `limits` and at most `maxBytes` UTF-8 bytes.
 * A case that pushes one limit names it: `build` with that limit raised by one must be refused.
 */
import type { XmlLimits } from "../../shared/saml/xml-limits.ts";

export const WORST_CASE_ISSUER = "http://www.okta.com/exkworstcase000000";
const PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion";

export interface WorstCase {
  name: string;
  /** The limit this message sits exactly at, if any. */
  limit?: keyof XmlLimits;
  build(limits: XmlLimits, maxBytes: number): string;
}

/** Root attributes and declarations, Issuer, and the root element itself. */
const ENVELOPE = { nodes: 2, attributes: 2, declarations: 2, depth: 1 };

/** A Response around `inner`, padded with plain text up to `maxBytes` (text is the cheapest thing to read). */
function response(inner: string, maxBytes: number, issuer = WORST_CASE_ISSUER): string {
  const open = `<samlp:Response xmlns:samlp="${PROTOCOL}" xmlns:saml="${ASSERTION}"><saml:Issuer>${issuer}</saml:Issuer>`;
  const close = "</samlp:Response>";
  const room = maxBytes - byteLength(open) - byteLength(inner) - byteLength(close);
  if (room < 0) throw new Error(`worst case does not fit in ${maxBytes} bytes`);
  return `${open}${inner}${" ".repeat(room)}${close}`;
}

const byteLength = (text: string) => new TextEncoder().encode(text).length;

/** Repeats `unit(i)` while it fits in `budget` characters, at most `max` times. */
function fill(max: number, budget: number, unit: (i: number) => string): string {
  const parts: string[] = [];
  let used = 0;
  for (let i = 0; i < max; i++) {
    const part = unit(i);
    if (used + part.length > budget) break;
    parts.push(part);
    used += part.length;
  }
  return parts.join("");
}

const name = (i: number, length: number) => `n${i.toString(36)}`.padEnd(length, "x");
const ROOM = 512; // left for the envelope

export const WORST_CASES: WorstCase[] = [
  {
    name: "attributes: every element at the per-element cap, up to the total cap",
    limit: "maxAttributes",
    build(limits, maxBytes) {
      const per = limits.maxAttributesPerElement;
      const total = limits.maxAttributes - ENVELOPE.attributes;
      const elements = Math.min(Math.floor(total / per), limits.maxNodes - ENVELOPE.nodes);
      const element = (count: number) => `<e${Array.from({ length: count }, (_, j) => ` ${name(j, 1)}="1"`).join("")}/>`;
      const rest = total - elements * per;
      return response(element(per).repeat(elements) + (rest > 0 ? element(rest) : ""), maxBytes);
    },
  },
  {
    name: "attributes on one element (the 36,000-attribute bomb, capped)",
    limit: "maxAttributesPerElement",
    build(limits, maxBytes) {
      const attributes = Array.from({ length: limits.maxAttributesPerElement }, (_, j) => ` ${name(j, 1)}="${j}"`).join("");
      return response(`<e${attributes}/>`, maxBytes);
    },
  },
  {
    name: "elements: the node cap, each with an end tag and text",
    limit: "maxNodes",
    build(limits, maxBytes) {
      return response(fill(limits.maxNodes - ENVELOPE.nodes, maxBytes - ROOM, () => "<a>x</a>"), maxBytes);
    },
  },
  {
    name: "comments: the node cap",
    build(limits, maxBytes) {
      return response(fill(limits.maxNodes - ENVELOPE.nodes, maxBytes - ROOM, () => "<!--x-->"), maxBytes);
    },
  },
  {
    name: "CDATA sections: the node cap",
    build(limits, maxBytes) {
      return response(fill(limits.maxNodes - ENVELOPE.nodes, maxBytes - ROOM, () => "<![CDATA[x]]>"), maxBytes);
    },
  },
  {
    name: "deep nesting, a namespace declared at every level, prefixed leaves at the bottom",
    limit: "maxDepth",
    build(limits, maxBytes) {
      // xmldom resolves a prefix through one prototype per enclosing declaring element.
      const levels = limits.maxDepth - ENVELOPE.depth - 1; // the leaves are one level deeper
      const open = Array.from({ length: levels }, (_, i) => `<d xmlns:p${i}="urn:p">`).join("");
      const leaves = limits.maxNodes - ENVELOPE.nodes - levels;
      const leafAttributes = Math.max(0, Math.min(limits.maxAttributesPerElement, Math.floor((limits.maxAttributes - ENVELOPE.attributes - levels) / Math.max(1, leaves))));
      const leaf = `<saml:x${Array.from({ length: leafAttributes }, (_, j) => ` saml:${name(j, 1)}="1"`).join("")}/>`;
      const budget = maxBytes - ROOM - open.length - levels * 4;
      return response(open + fill(leaves, budget, () => leaf) + "</d>".repeat(levels), maxBytes);
    },
  },
  {
    name: "long names: elements and attributes at the name-length cap",
    limit: "maxNameLength",
    build(limits, maxBytes) {
      const length = limits.maxNameLength;
      const per = Math.min(limits.maxAttributesPerElement, 4);
      const element = (i: number) => {
        const tag = name(i, length);
        return `<${tag}${Array.from({ length: per }, (_, j) => ` ${name(j, length)}="1"`).join("")}></${tag}>`;
      };
      const elements = Math.min(limits.maxNodes - ENVELOPE.nodes, Math.floor((limits.maxAttributes - ENVELOPE.attributes) / per));
      return response(fill(elements, maxBytes - ROOM, element), maxBytes);
    },
  },
  {
    name: "namespace declarations: the cap, nested so every lookup walks them",
    limit: "maxNamespaceDeclarations",
    build(limits, maxBytes) {
      const per = limits.maxAttributesPerElement;
      const total = limits.maxNamespaceDeclarations - ENVELOPE.declarations;
      const levels = Math.min(limits.maxDepth - ENVELOPE.depth - 1, Math.ceil(total / per));
      let declared = 0;
      const open: string[] = [];
      for (let level = 0; level < levels && declared < total; level++) {
        const count = Math.min(per, total - declared, Math.ceil((total - declared) / (levels - level)));
        open.push(`<d${Array.from({ length: count }, (_, j) => ` xmlns:q${declared + j}="urn:q${declared + j}"`).join("")}>`);
        declared += count;
      }
      const rest = total - declared;
      const extra = Array.from({ length: Math.ceil(rest / per) }, (_, k) => `<d${Array.from({ length: Math.min(per, rest - k * per) }, (_, j) => ` xmlns:r${k * per + j}="urn:r"`).join("")}/>`).join("");
      const leaves = limits.maxNodes - ENVELOPE.nodes - open.length - Math.ceil(rest / per);
      const body = open.join("") + extra + fill(leaves, maxBytes - ROOM - open.join("").length - extra.length - open.length * 4, (i) => `<q${i % Math.max(1, declared)}:x/>`) + "</d>".repeat(open.length);
      return response(body, maxBytes);
    },
  },
  {
    name: "one prefix re-declared on every element",
    build(limits, maxBytes) {
      const elements = Math.min(Math.floor((limits.maxNodes - ENVELOPE.nodes) / 2), limits.maxNamespaceDeclarations - ENVELOPE.declarations);
      return response(fill(elements, maxBytes - ROOM, (i) => `<p:a xmlns:p="urn:p${i % 2}"><p:b/></p:a>`), maxBytes);
    },
  },
  {
    name: "long namespace names at the URI-length cap",
    limit: "maxNamespaceUriLength",
    build(limits, maxBytes) {
      const uri = `urn:${"u".repeat(limits.maxNamespaceUriLength - 4)}`;
      const count = Math.min(limits.maxNamespaceDeclarations - ENVELOPE.declarations, limits.maxNodes - ENVELOPE.nodes);
      return response(fill(count, maxBytes - ROOM, () => `<a xmlns="${uri}"/>`), maxBytes);
    },
  },
  {
    name: "references: the cap, all inside the Issuer the router reads",
    limit: "maxReferences",
    build(limits, maxBytes) {
      return response("", maxBytes, WORST_CASE_ISSUER + "&#13;".repeat(limits.maxReferences));
    },
  },
  {
    name: "one huge text node",
    build(_limits, maxBytes) {
      return response(`<t>${"x".repeat(maxBytes - ROOM)}</t>`, maxBytes);
    },
  },
  {
    name: "a huge Issuer (routed on, looked up)",
    build(_limits, maxBytes) {
      return response("", maxBytes, `${WORST_CASE_ISSUER}${"x".repeat(maxBytes - ROOM)}`);
    },
  },
];

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** The shortest distinct attribute names: a..Z, aa..ZZ, aaa.. */
function letterName(i: number): string {
  let n = i;
  let name = "";
  do {
    name = LETTERS[n % LETTERS.length] + name;
    n = Math.floor(n / LETTERS.length) - 1;
  } while (n >= 0);
  return name;
}

/**
 * The issue-10 attribute bomb: one SAML Response whose root carries `count` attributes (36,000
 * make 255 KB, under the size limit). The streaming scanner compared each with every earlier one.
 */
export function attributeBomb(count = 36_000): string {
  const attributes = Array.from({ length: count }, (_, i) => ` ${letterName(i)}=""`).join("");
  return `<samlp:Response xmlns:samlp="${PROTOCOL}" xmlns:saml="${ASSERTION}"${attributes}><saml:Issuer>${WORST_CASE_ISSUER}</saml:Issuer></samlp:Response>`;
}
