import { InvalidSamlMessage } from "../errors.ts";

/**
 * SAML messages nest about 10 elements deep (20 for the signature-wrapping attacks). xmldom
 * resolves namespaces through a chain as long as the nesting, so a 256 KiB message of
 * thousands of nested elements that each declare a namespace costs seconds of CPU.
 */
export const MAX_ELEMENT_DEPTH = 128;

const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const GREATER = 0x3e;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;

/**
 * Refuses elements nested deeper than `maxDepth`, in one pass over the markup before parsing.
 * It is exact about depth for well-formed XML and does not judge the rest: malformed input is
 * left for the parser to refuse.
 */
export function refuseDeepNesting(xml: string, maxDepth: number = MAX_ELEMENT_DEPTH): void {
  let depth = 0;
  let at = xml.indexOf("<");
  while (at !== -1) {
    const next = xml.charCodeAt(at + 1);
    let end: number;
    if (next === SLASH) {
      depth--;
      end = at + 2;
    } else if (next === BANG || next === QUESTION) {
      end = endOfCommentCdataOrInstruction(xml, at);
    } else {
      end = endOfStartTag(xml, at + 1);
      if (end !== -1 && xml.charCodeAt(end - 1) !== SLASH && ++depth > maxDepth) {
        throw new InvalidSamlMessage(`elements are nested deeper than ${maxDepth}`, { maxDepth });
      }
    }
    if (end === -1) return;
    at = xml.indexOf("<", end);
  }
}

function endOfCommentCdataOrInstruction(xml: string, at: number): number {
  if (xml.startsWith("<!--", at)) return xml.indexOf("-->", at + 4);
  if (xml.startsWith("<![CDATA[", at)) return xml.indexOf("]]>", at + 9);
  return xml.indexOf(">", at + 2);
}

/** Index of the `>` closing a start tag; a `>` inside a quoted attribute value does not count. */
function endOfStartTag(xml: string, from: number): number {
  for (let i = from; i < xml.length; i++) {
    const c = xml.charCodeAt(i);
    if (c === GREATER) return i;
    if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
      i = xml.indexOf(c === DOUBLE_QUOTE ? '"' : "'", i + 1);
      if (i === -1) return -1;
    }
  }
  return -1;
}
