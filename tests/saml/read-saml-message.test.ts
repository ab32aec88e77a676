import { describe, expect, test } from "bun:test";
import { MAX_ELEMENT_DEPTH, readSamlMessage } from "../../shared/saml/index.ts";
import { ASSERTION_NS, AUTHN_REQUEST, PROTOCOL_NS, samlResponse } from "./samples.ts";

function refusal(xml: string): unknown {
  try {
    readSamlMessage(xml);
  } catch (error) {
    return error;
  }
  throw new Error("expected the message to be refused");
}

describe("readSamlMessage: what the router routes on", () => {
  test("reads a Response's type, Issuer, InResponseTo and Destination", () => {
    expect(readSamlMessage(samlResponse({ responseIssuer: "https://idp.example.com", assertionIssuer: "https://idp.example.com" }))).toEqual({
      type: "Response",
      issuer: "https://idp.example.com",
      assertionIssuer: "https://idp.example.com",
      inResponseTo: "req-1",
      destination: "https://sp.example.com/acs",
      encrypted: false,
    });
  });

  test("reads an AuthnRequest and reports absent attributes and assertions as null", () => {
    expect(readSamlMessage(AUTHN_REQUEST)).toEqual({
      type: "AuthnRequest",
      issuer: "https://sp.example.com",
      assertionIssuer: null,
      inResponseTo: null,
      destination: "https://idp.example.com/sso",
      encrypted: false,
    });
  });

  test("routes on the Response-level Issuer when it differs from the Assertion's", () => {
    const summary = readSamlMessage(samlResponse({ responseIssuer: "https://outer", assertionIssuer: "https://inner" }));
    expect(summary.issuer).toBe("https://outer");
    expect(summary.assertionIssuer).toBe("https://inner");
  });

  test("falls back to the first plain Assertion's Issuer when the Response has none", () => {
    expect(readSamlMessage(samlResponse({ assertionIssuer: "https://inner" })).issuer).toBe("https://inner");
  });

  test("takes the first Assertion in document order, even one nested deeper than a later one", () => {
    const xml =
      `<samlp:Response xmlns:samlp="${PROTOCOL_NS}" xmlns:saml="${ASSERTION_NS}">` +
      `<samlp:Extensions><saml:Assertion><saml:Issuer>https://first</saml:Issuer></saml:Assertion></samlp:Extensions>` +
      `<saml:Assertion><saml:Issuer>https://second</saml:Issuer></saml:Assertion></samlp:Response>`;
    expect(readSamlMessage(xml).assertionIssuer).toBe("https://first");
  });

  test("reports an encrypted assertion: encrypted true, no assertion Issuer", () => {
    const summary = readSamlMessage(samlResponse({ responseIssuer: "https://idp", encryptedAssertion: true }));
    expect(summary).toMatchObject({ issuer: "https://idp", assertionIssuer: null, encrypted: true });
  });

  test("reports null Issuer when neither the Response nor a plain Assertion has one", () => {
    expect(readSamlMessage(samlResponse({ encryptedAssertion: true })).issuer).toBeNull();
  });

  test("a root outside the SAML protocol namespace has type other", () => {
    expect(readSamlMessage(`<Response><Issuer>x</Issuer></Response>`).type).toBe("other");
    const bareAssertion = `<saml:Assertion xmlns:saml="${ASSERTION_NS}"><saml:Issuer>https://idp</saml:Issuer></saml:Assertion>`;
    expect(readSamlMessage(bareAssertion)).toMatchObject({ type: "other", issuer: "https://idp", assertionIssuer: "https://idp" });
  });
});

describe("readSamlMessage: namespaces decide, prefixes do not", () => {
  test("reads Issuers in the default namespace (no prefix)", () => {
    const xml =
      `<Response xmlns="${PROTOCOL_NS}"><Issuer xmlns="${ASSERTION_NS}">https://idp</Issuer>` +
      `<Assertion xmlns="${ASSERTION_NS}"><Issuer>https://idp/a</Issuer></Assertion></Response>`;
    expect(readSamlMessage(xml)).toMatchObject({ type: "Response", issuer: "https://idp", assertionIssuer: "https://idp/a" });
  });

  test("reads Issuers under unusual prefixes (ns0:, ns1:)", () => {
    const xml = `<ns0:Response xmlns:ns0="${PROTOCOL_NS}" xmlns:ns1="${ASSERTION_NS}"><ns1:Issuer>https://idp</ns1:Issuer></ns0:Response>`;
    expect(readSamlMessage(xml)).toMatchObject({ type: "Response", issuer: "https://idp" });
  });

  test("ignores an Issuer in the wrong namespace and falls back to the Assertion's", () => {
    const xml =
      `<samlp:Response xmlns:samlp="${PROTOCOL_NS}" xmlns:saml="${ASSERTION_NS}">` +
      `<samlp:Issuer>https://protocol-ns</samlp:Issuer><Issuer>https://no-ns</Issuer>` +
      `<saml:Assertion><saml:Issuer>https://assertion</saml:Issuer></saml:Assertion></samlp:Response>`;
    expect(readSamlMessage(xml)).toMatchObject({ issuer: "https://assertion", assertionIssuer: "https://assertion" });
  });

  test("a root named Response in the assertion namespace is not a SAML Response", () => {
    const xml = `<saml:Response xmlns:saml="${ASSERTION_NS}"><saml:Issuer>https://idp</saml:Issuer></saml:Response>`;
    expect(readSamlMessage(xml).type).toBe("other");
  });
});

describe("readSamlMessage: Issuer text", () => {
  test("drops a comment inside the Issuer instead of cutting the value at it", () => {
    const xml = samlResponse({ responseIssuer: "https://idp<!-- injected -->.example.com" });
    expect(readSamlMessage(xml).issuer).toBe("https://idp.example.com");
  });

  test("keeps CDATA content as part of the Issuer", () => {
    expect(readSamlMessage(samlResponse({ responseIssuer: "https://idp<![CDATA[.example.com]]>" })).issuer).toBe("https://idp.example.com");
  });

  test("trims whitespace and CRLF around the Issuer text", () => {
    expect(readSamlMessage(samlResponse({ responseIssuer: "\r\n    https://idp.example.com \r\n  " })).issuer).toBe("https://idp.example.com");
  });

  test("treats a blank Issuer as absent", () => {
    expect(readSamlMessage(samlResponse({ responseIssuer: "  ", assertionIssuer: "https://a" })).issuer).toBe("https://a");
  });

  test("reads entity references in the Issuer (&amp;)", () => {
    expect(readSamlMessage(samlResponse({ responseIssuer: "https://idp/?a=1&amp;b=2" })).issuer).toBe("https://idp/?a=1&b=2");
  });
});

describe("readSamlMessage: tolerant of what real IdPs send", () => {
  test("accepts an XML declaration, a BOM, CRLF line endings and comments", () => {
    const xml = `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- from the IdP -->\r\n${samlResponse({ responseIssuer: "https://idp" }).replaceAll("><", ">\r\n<")}\r\n<!-- end -->\r\n`;
    expect(readSamlMessage(xml)).toMatchObject({ type: "Response", issuer: "https://idp", inResponseTo: "req-1" });
  });

  test("accepts blank lines before the XML declaration", () => {
    expect(readSamlMessage(`\r\n  <?xml version="1.0"?>${AUTHN_REQUEST}`).type).toBe("AuthnRequest");
  });

  test("keeps a Destination's leading space produced by a line break in the attribute", () => {
    const xml = `<samlp:LogoutResponse xmlns:samlp="${PROTOCOL_NS}" Destination="\nhttps://sp/slo"/>`;
    expect(readSamlMessage(xml).destination).toBe(" https://sp/slo");
  });

  test("reads a message nested MAX_ELEMENT_DEPTH deep, each level declaring a namespace", () => {
    const open = Array.from({ length: MAX_ELEMENT_DEPTH - 1 }, (_, i) => `<x xmlns:p${i}="urn:p${i}">`).join("");
    const xml = `<samlp:Response xmlns:samlp="${PROTOCOL_NS}">${open}${"</x>".repeat(MAX_ELEMENT_DEPTH - 1)}</samlp:Response>`;
    expect(readSamlMessage(xml)).toMatchObject({ type: "Response", issuer: null });
  });

  test("counts depth by elements only: self-closing tags, '>' in attributes, comments and CDATA do not nest", () => {
    const noise = `<x a="/>" b='>'/><!-- <x><x> --><y><![CDATA[<x><x>]]></y>`.repeat(MAX_ELEMENT_DEPTH * 2);
    expect(readSamlMessage(`<samlp:Response xmlns:samlp="${PROTOCOL_NS}">${noise}</samlp:Response>`).type).toBe("Response");
  });
});

describe("readSamlMessage: refusals", () => {
  const hostile: Array<[string, string]> = [
    ["an XXE external entity", `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>`],
    [
      "billion laughs",
      `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`,
    ],
    ["a bare DOCTYPE", `<!DOCTYPE samlp:Response>${AUTHN_REQUEST}`],
    ["a lower-case doctype", `<!doctype r><r/>`],
    ["a stray ENTITY declaration", `<r><!ENTITY x "y"></r>`],
  ];
  test.each(hostile)("refuses %s before parsing", (_name, xml) => {
    expect(refusal(xml)).toMatchObject({ code: "invalid_saml_message", message: "DTDs and entity declarations are not allowed" });
  });

  const malformed: Array<[string, string]> = [
    ["several root elements", `${AUTHN_REQUEST}${AUTHN_REQUEST}`],
    ["an element prepended to the document element", `<NameID>evil@evil.com</NameID>${AUTHN_REQUEST}`],
    ["text after the document element", `${AUTHN_REQUEST}junk`],
    ["mismatched tags", `<samlp:Response xmlns:samlp="${PROTOCOL_NS}"><a></b></samlp:Response>`],
    ["an unclosed document element", `<samlp:Response xmlns:samlp="${PROTOCOL_NS}">`],
    ["an undeclared prefix", `<samlp:Response/>`],
    ["an unknown entity", `<r>&bogus;</r>`],
    ["a duplicated attribute", `<r a="1" a="2"/>`],
    ["text that is not XML", `hello`],
  ];
  test.each(malformed)("refuses %s as not well-formed", (_name, xml) => {
    expect(refusal(xml)).toMatchObject({ code: "invalid_saml_message" });
  });

  test.each([[""], ["   \r\n\t"], ["\uFEFF"]])("refuses empty input %j", (xml) => {
    expect(refusal(xml)).toMatchObject({ code: "invalid_saml_message" });
  });

  test("refuses nesting deeper than MAX_ELEMENT_DEPTH before parsing, in milliseconds", () => {
    // xmldom needs seconds for this one: every level adds a namespace scope to resolve through.
    const depth = 16_000;
    const open = Array.from({ length: depth }, (_, i) => `<x xmlns:p${i}="urn:p${i}">`).join("");
    const xml = `<samlp:Response xmlns:samlp="${PROTOCOL_NS}">${open}${"</x>".repeat(depth)}</samlp:Response>`;
    const started = performance.now();
    expect(refusal(xml)).toMatchObject({ code: "invalid_saml_message", details: { limit: "maxDepth", max: MAX_ELEMENT_DEPTH } });
    expect(performance.now() - started).toBeLessThan(100);
  });

  test("never echoes the message in the refusal", () => {
    const error = refusal(`<r><secret-token-1234></r>`) as Error;
    expect(error.message).not.toContain("secret-token-1234");
    expect(JSON.stringify((error as { details?: unknown }).details ?? null)).not.toContain("secret-token-1234");
  });
});
