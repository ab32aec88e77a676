import { DOMParser, type Document, type Element } from "@xmldom/xmldom";
import { InvalidSamlMessage } from "../errors.ts";
import { refuseDeepNesting } from "./refuse-deep-nesting.ts";
import { refuseDtd } from "./refuse-dtd.ts";

const ELEMENT_NODE = 1;

/** Every xmldom error and fatal error aborts the parse; warnings (e.g. U+FFFD in text) do not. */
const parser = new DOMParser({
  locator: false,
  onError(level, message) {
    if (level !== "warning") throw new Error(message);
  },
});

/**
 * Parses namespace-aware XML and returns its document element, or refuses with
 * `InvalidSamlMessage`. The refusal never quotes the input: it may be attacker-controlled.
 */
export function parseXmlStrictly(xml: string): Element {
  // A leading BOM or blank line is harmless, but xmldom rejects an XML declaration after it.
  const text = xml.trimStart();
  if (text.length === 0) throw new InvalidSamlMessage("empty message");
  refuseDtd(text);
  refuseDeepNesting(text);
  let document: Document;
  try {
    document = parser.parseFromString(text, "text/xml");
  } catch {
    throw new InvalidSamlMessage("message is not well-formed XML");
  }
  return singleDocumentElement(document);
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
