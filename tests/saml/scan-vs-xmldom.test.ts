import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { decodeSamlMessage, readSamlMessage, scanSamlMessage, type SamlMessageSummary } from "../../shared/saml/index.ts";
import { readFixtureIndex, readFixtureText } from "./fixtures.ts";

/**
 * The router reads SAML with a streaming reader (`scanSamlMessage`); xmldom's DOM reader
 * (`readSamlMessage`) is its reference. Whatever the streaming reader accepts, xmldom must
 * accept and read identically; on well-formed messages both must accept.
 */
type Outcome = { ok: true; summary: SamlMessageSummary } | { ok: false; code: string };
const outcome = (read: (xml: string) => SamlMessageSummary, xml: string): Outcome => {
  try {
    return { ok: true, summary: read(xml) };
  } catch (error) {
    return { ok: false, code: (error as { code?: string }).code ?? String(error) };
  }
};

const PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion";

/** Never more lenient than xmldom, never a different reading. */
function expectNoLooserThanXmldom(xml: string) {
  const scanned = outcome(scanSamlMessage, xml);
  if (!scanned.ok) {
    expect(scanned.code).toBe("invalid_saml_message");
    return;
  }
  expect(outcome(readSamlMessage, xml)).toEqual(scanned);
}

describe("streaming SAML reader against xmldom", () => {
  test("reads every message of the fixture corpus exactly as xmldom does", async () => {
    let compared = 0;
    for (const row of readFixtureIndex()) {
      const xml = await decodeSamlMessage(readFixtureText(row.file), { binding: "auto" }).catch(() => null);
      if (xml === null) continue;
      const reference = outcome(readSamlMessage, xml);
      expect({ file: row.file, outcome: outcome(scanSamlMessage, xml) }).toEqual({ file: row.file, outcome: reference.ok ? reference : { ok: false, code: "invalid_saml_message" } });
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(48);
  });

  // Well-formed messages of every shape routing cares about: prefixes or default namespaces,
  // declarations on the root or on the element, Issuers before or after other children,
  // comments, CDATA and character references inside the Issuer, CRLF in attribute values.
  const prefix = fc.constantFrom("", "samlp", "saml2p", "ns3", "p");
  const aPrefix = fc.constantFrom("", "saml", "saml2", "a");
  const textPiece = fc.oneof(
    fc.constantFrom("http://www.okta.com/exk1", "https://sts.windows.net/t/", "IdP Entity ID", " ", "\r\n", "\t", "&amp;", "&lt;", "&#x41;", "&#66;", ">", "é", "idpid=C0"),
    fc.constantFrom("<!-- c -->", "<![CDATA[cd&<]]>"),
  );
  const issuerText = fc.array(textPiece, { maxLength: 5 }).map((parts) => parts.join(""));
  const attrValue = fc.array(fc.constantFrom("a", " ", "\r\n", "\t", "&amp;", "&#10;", "&quot;", "https://sp.example.com/acs", "id-1"), { maxLength: 4 }).map((p) => p.join(""));

  const element = (ns: string, local: string, p: string, declareHere: boolean, attrs: string, children: string) => {
    const name = p ? `${p}:${local}` : local;
    const decl = declareHere ? (p ? ` xmlns:${p}="${ns}"` : ` xmlns="${ns}"`) : "";
    return children === "" && attrs.length % 2 === 0 ? `<${name}${decl}${attrs}/>` : `<${name}${decl}${attrs}>${children}</${name}>`;
  };
  const issuer = fc.record({ p: aPrefix, text: issuerText, ns: fc.constantFrom(ASSERTION, ASSERTION, "urn:other") }).map(({ p, text, ns }) => element(ns, "Issuer", p, true, "", text));
  const assertion = fc.record({ p: aPrefix, issuers: fc.array(issuer, { maxLength: 2 }), encrypted: fc.boolean(), other: fc.boolean() }).map(({ p, issuers, encrypted, other }) =>
    encrypted
      ? element(ASSERTION, "EncryptedAssertion", p, true, "", "<xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\"/>")
      : element(ASSERTION, "Assertion", p, true, ' ID="a1"', `${issuers.join("")}${other ? "<Subject><NameID>j@acme.com</NameID></Subject>" : ""}`),
  );
  const child = fc.oneof(issuer, assertion, fc.constantFrom("<!-- x -->", "\n  ", "<Extensions><x/></Extensions>"));
  const document = fc
    .record({
      p: prefix,
      local: fc.constantFrom("Response", "AuthnRequest", "LogoutRequest", "LogoutResponse", "Assertion", "Other"),
      ns: fc.constantFrom(PROTOCOL, PROTOCOL, ASSERTION, "urn:other"),
      inResponseTo: fc.option(attrValue, { nil: undefined }),
      destination: fc.option(attrValue, { nil: undefined }),
      children: fc.array(child, { maxLength: 5 }),
      declaration: fc.boolean(),
      crlf: fc.boolean(),
    })
    .map((d) => {
      const attrs = `${d.inResponseTo === undefined ? "" : ` InResponseTo="${d.inResponseTo}"`}${d.destination === undefined ? "" : `\r\n Destination='${d.destination}'`}`;
      const xml = `${d.declaration ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ""}${element(d.ns, d.local, d.p, true, attrs, d.children.join(""))}`;
      return d.crlf ? xml.replace(/\n/g, "\r\n") : xml;
    });

  test("accepts and reads generated well-formed messages exactly as xmldom does", () => {
    fc.assert(
      fc.property(document, (xml) => {
        const scanned = outcome(scanSamlMessage, xml);
        expect(scanned.ok).toBe(true);
        expect(scanned).toEqual(outcome(readSamlMessage, xml));
      }),
      { numRuns: 2000 },
    );
  });

  test("refuses processing instructions, which xmldom reads but SAML never carries", () => {
    const xml = `<samlp:Response xmlns:samlp="${PROTOCOL}"><?pi data?></samlp:Response>`;
    expect(outcome(readSamlMessage, xml).ok).toBe(true);
    expect(outcome(scanSamlMessage, xml)).toEqual({ ok: false, code: "invalid_saml_message" });
  });

  test("is never looser than xmldom on damaged messages", () => {
    const damage = fc.tuple(document, fc.nat(), fc.constantFrom("", "<", ">", "&", '"', "'", "/", "=", "<x>", "</x>", "]]>", "--", ":", "<!--", "?>", "\u0000", "é")).map(([xml, at, insert]) => {
      const i = at % (xml.length + 1);
      return insert === "" ? xml.slice(0, i) + xml.slice(i + 1) : xml.slice(0, i) + insert + xml.slice(i);
    });
    fc.assert(fc.property(damage, expectNoLooserThanXmldom), { numRuns: 2000 });
  });

  test("is never looser than xmldom on damaged real messages", async () => {
    const xmls = (await Promise.all(readFixtureIndex().map((row) => decodeSamlMessage(readFixtureText(row.file), { binding: "auto" }).catch(() => null)))).filter((x): x is string => x !== null);
    const damage = fc.tuple(fc.constantFrom(...xmls), fc.nat(), fc.constantFrom("", "<", ">", "&", '"', "</a>", "<a>", ":", "xmlns:saml2=\"\" ")).map(([xml, at, insert]) => {
      const i = at % (xml.length + 1);
      return insert === "" ? xml.slice(0, i) + xml.slice(i + 1) : xml.slice(0, i) + insert + xml.slice(i);
    });
    fc.assert(fc.property(damage, expectNoLooserThanXmldom), { numRuns: 1500 });
  });
});
