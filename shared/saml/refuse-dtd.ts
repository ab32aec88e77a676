import { InvalidSamlMessage } from "../errors.ts";

/**
 * SAML forbids DTDs (SAML core §1.3), and a DTD is how XXE and billion-laughs get in, so any
 * `<!DOCTYPE` or `<!ENTITY` is refused before the parser sees the text. Only the few `<!`
 * occurrences (comments, CDATA) are looked at, which keeps this cheap on large messages.
 */
export function refuseDtd(xml: string): void {
  for (let at = xml.indexOf("<!"); at !== -1; at = xml.indexOf("<!", at + 2)) {
    const word = xml.slice(at + 2, at + 9).toUpperCase();
    if (word.startsWith("DOCTYPE") || word.startsWith("ENTITY")) {
      throw new InvalidSamlMessage("DTDs and entity declarations are not allowed");
    }
  }
}
