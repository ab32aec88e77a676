import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { InvalidSamlMessage } from "../../shared/errors.ts";
import { inspectSamlMessage, type SamlBinding } from "../../shared/saml/index.ts";
import { base64 } from "./encode.ts";
import { AUTHN_REQUEST, samlResponse } from "./samples.ts";

/** Either a summary or InvalidSamlMessage: any other outcome is a crash. */
async function readsOrRefuses(value: string, binding: SamlBinding): Promise<void> {
  try {
    const summary = await inspectSamlMessage(value, { binding });
    expect(typeof summary.type).toBe("string");
  } catch (error) {
    if (!(error instanceof InvalidSamlMessage)) throw error;
  }
}

const XML_PIECES = [
  samlResponse({ responseIssuer: "https://idp", assertionIssuer: "https://idp" }),
  AUTHN_REQUEST,
  "<", ">", "</", "/>", "<!--", "-->", "<![CDATA[", "]]>", "<?xml version=\"1.0\"?>", "<?", "?>",
  "&amp;", "&", ";", "\"", "'", "=", "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"",
  "saml:Issuer", "Issuer", "samlp:", " ", "\r\n", "\uFEFF", "\u0000", "\uD800", "é",
];

describe("inspectSamlMessage never crashes", () => {
  test("arbitrary text is read or refused, under every binding", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 200 }), fc.constantFrom<SamlBinding>("post", "redirect", "auto"), readsOrRefuses),
      { numRuns: 300 },
    );
  });

  test("XML-like fragments in any order are read or refused", async () => {
    const fragments = fc.array(fc.constantFrom(...XML_PIECES), { maxLength: 30 }).map((parts) => parts.join(""));
    await fc.assert(fc.asyncProperty(fragments, (xml) => readsOrRefuses(xml, "auto")), { numRuns: 500 });
  });

  test("arbitrary bytes sent as base64 are read or refused, inflated or not", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.constantFrom<SamlBinding>("post", "redirect", "auto"), (bytes, binding) =>
        readsOrRefuses(base64(bytes), binding),
      ),
      { numRuns: 300 },
    );
  });
});
