import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { decodeSamlMessage, readSamlMessage, type SamlMessageSummary } from "../../shared/saml/index.ts";
import { readWithLibxml2, type Libxml2Outcome } from "../support/libxml2.ts";
import { readFixtureIndex, readFixtureText } from "./fixtures.ts";

/**
 * The router reads SAML with xmldom behind a structural pre-check (`readSamlMessage`); libxml2
 * (tests/support/libxml2.ts) is the conformant reference. Whatever the router accepts, libxml2
 * must accept and read identically (never looser, never a different reading); on well-formed
 * messages both must accept. The router is stricter only where SAML allows it (DTDs and
 * processing instructions are refused).
 */
type Outcome = { ok: true; summary: SamlMessageSummary } | { ok: false; code: string };
const ours = (xml: string): Outcome => {
  try {
    return { ok: true, summary: readSamlMessage(xml) };
  } catch (error) {
    return { ok: false, code: (error as { code?: string }).code ?? String(error) };
  }
};

/** Runs the oracle over many messages, a few workers at a time. */
async function withLibxml2<T>(xmls: readonly T[], toXml: (item: T) => string, check: (item: T, libxml2: Libxml2Outcome) => void): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < xmls.length) {
      const item = xmls[next++]!;
      check(item, await readWithLibxml2(toXml(item)));
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}

/** Never looser than libxml2, never a different reading. */
function expectNoLooserThanLibxml2(xml: string, libxml2: Libxml2Outcome) {
  const read = ours(xml);
  if (!read.ok) {
    expect(read.code).toBe("invalid_saml_message");
    return;
  }
  expect({ xml: JSON.stringify(xml), libxml2 }).toMatchObject({ libxml2: { ok: true } });
  if (libxml2.ok && libxml2.summary !== null) expect({ xml, summary: read.summary }).toEqual({ xml, summary: libxml2.summary });
}

const PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion";

describe("SAML reader against libxml2", () => {
  test("reads every message of the fixture corpus as libxml2 does, and refuses what it refuses", async () => {
    const xmls: { file: string; xml: string }[] = [];
    for (const row of readFixtureIndex()) {
      const xml = await decodeSamlMessage(readFixtureText(row.file), { binding: "auto" }).catch(() => null);
      if (xml !== null) xmls.push({ file: row.file, xml });
    }
    expect(xmls.length).toBeGreaterThanOrEqual(48);
    await withLibxml2(xmls, (f) => f.xml, ({ file, xml }, libxml2) => {
      const read = ours(xml);
      // The corpus's DTD attacks are well-formed to libxml2 (it does not expand them here); the router refuses every DTD.
      if (/<!DOCTYPE/i.test(xml)) return expect({ file, read: read.ok }).toEqual({ file, read: false });
      expect({ file, ok: read.ok }).toEqual({ file, ok: libxml2.ok });
      if (read.ok && libxml2.ok && libxml2.summary !== null) expect({ file, summary: read.summary }).toEqual({ file, summary: libxml2.summary });
    });
  }, 60_000);

  test.each([
    ["a default namespace declared with the xmlns namespace URI", `<x xmlns="http://www.w3.org/2000/xmlns/"/>`],
    ["a:x and b:x where a and b bind the same URI", `<r xmlns:a="urn:u" xmlns:b="urn:u" a:x="1" b:x="2"/>`],
    ["the same, the second prefix declared on the element itself", `<r xmlns:a="urn:u"><e xmlns:b="urn:u" b:x="1" a:x="2"/></r>`],
    ["the xmlns prefix declared", `<r xmlns:xmlns="urn:x"/>`],
    ["a prefix bound to the xmlns namespace", `<r xmlns:p="http://www.w3.org/2000/xmlns/"/>`],
    ["the xml prefix bound elsewhere", `<r xmlns:xml="urn:x"/>`],
    ["a prefix bound to the XML namespace", `<r xmlns:p="http://www.w3.org/XML/1998/namespace"/>`],
    ["a prefix undeclared with an empty URI", `<r xmlns:p=""/>`],
    ["attributes not separated by white space", `<r a="1"b="2"/>`],
    ["an unquoted attribute value", `<r a=1/>`],
    ["a valueless attribute", `<r a/>`],
    ["a bare ampersand", `<r>a & b</r>`],
    ["']]>' in text", `<r>]]></r>`],
    ["a reference to NUL", `<r>&#0;</r>`],
    ["a control character", `<r>\u0001</r>`],
    ["U+0080 inside a tag", `<r a\u0080b="1"/>`],
    ["'--' inside a comment", `<r><!-- a -- b --></r>`],
    ["an end tag followed by a line break and junk", `<r><a></a\nb></r>`],
  ])("refuses %s, as libxml2 does", async (_name, xml) => {
    expect(ours(xml)).toEqual({ ok: false, code: "invalid_saml_message" });
    expect((await readWithLibxml2(xml)).ok).toBe(false);
  });

  test.each([
    ["U+0085", "\u0085"],
    ["U+2028", "\u2028"],
    ["U+2029", "\u2029"],
    ["U+00A0", "\u00a0"],
    ["CR LF", "\r\n"],
    ["a lone CR", "\r"],
  ])("routes on the Issuer libxml2 reads when it holds %s, inside it or at its end", async (_name, character) => {
    const read = character.startsWith("\r") ? "\n" : character;
    for (const [issuer, expected] of [
      [`https://idp${character}.example.com`, `https://idp${read}.example.com`],
      // XML white space around the Issuer is trimmed, and nothing else: U+2028 or U+00A0 stay.
      [`https://idp.example.com${character}`, read === "\n" ? "https://idp.example.com" : `https://idp.example.com${read}`],
    ]) {
      const xml = `<samlp:Response xmlns:samlp="${PROTOCOL}" xmlns:saml="${ASSERTION}"><saml:Issuer>${issuer}</saml:Issuer></samlp:Response>`;
      const libxml2 = await readWithLibxml2(xml);
      expect(libxml2.ok && libxml2.summary?.issuer).toBe(expected!);
      expect(ours(xml)).toEqual({ ok: true, summary: (libxml2 as { summary: SamlMessageSummary }).summary });
    }
  });

  // Well-formed messages of every shape routing cares about: prefixes or default namespaces,
  // declarations on the root or on the element, Issuers before or after other children,
  // comments, CDATA and character references inside the Issuer, CRLF in attribute values.
  const prefix = fc.constantFrom("", "samlp", "saml2p", "ns3", "p");
  const aPrefix = fc.constantFrom("", "saml", "saml2", "a");
  const textPiece = fc.oneof(
    fc.constantFrom("http://www.okta.com/exk1", "https://sts.windows.net/t/", "IdP Entity ID", " ", "\r\n", "\r", "\t", "\u0085", "\u2028", "\u00a0", "&amp;", "&lt;", "&#x41;", "&#66;", "&#13;", "&#x85;", ">", "é", "idpid=C0"),
    fc.constantFrom("<!-- c -->", "<![CDATA[cd&<\r\n]]>"),
  );
  const issuerText = fc.array(textPiece, { maxLength: 5 }).map((parts) => parts.join(""));
  const attrValue = fc.array(fc.constantFrom("a", " ", "\r\n", "\t", "&amp;", "&#10;", "&#9;", "&quot;", "\u0085", "https://sp.example.com/acs", "id-1"), { maxLength: 4 }).map((p) => p.join(""));

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
  const child = fc.oneof(issuer, assertion, fc.constantFrom("<!-- x -->", "\n  ", "<Extensions><x/></Extensions>", `<e xmlns:q="${ASSERTION}" q:Issuer="x" Issuer="y"/>`));
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

  test("accepts and reads generated well-formed messages exactly as libxml2 does", async () => {
    await withLibxml2(fc.sample(document, 150), (xml) => xml, (xml, libxml2) => {
      const read = ours(xml);
      expect({ xml, ok: read.ok }).toEqual({ xml, ok: true });
      expect({ xml, libxml2 }).toEqual({ xml, libxml2: read as Libxml2Outcome });
    });
  }, 60_000);

  test("is never looser than libxml2 on damaged messages", async () => {
    const damage = fc.tuple(document, fc.nat(), fc.constantFrom("", "<", ">", "&", '"', "'", "/", "=", "<x>", "</x>", "]]>", "--", ":", "<!--", "?>", "\u0000", "é", " xmlns:saml='' ", "\u0085")).map(([xml, at, insert]) => {
      const i = at % (xml.length + 1);
      return insert === "" ? xml.slice(0, i) + xml.slice(i + 1) : xml.slice(0, i) + insert + xml.slice(i);
    });
    await withLibxml2(fc.sample(damage, 200), (xml) => xml, expectNoLooserThanLibxml2);
  }, 60_000);

  test("is never looser than libxml2 on damaged real messages", async () => {
    const xmls = (await Promise.all(readFixtureIndex().map((row) => decodeSamlMessage(readFixtureText(row.file), { binding: "auto" }).catch(() => null)))).filter(
      (x): x is string => x !== null && !/<!DOCTYPE/i.test(x),
    );
    const damage = fc.tuple(fc.constantFrom(...xmls), fc.nat(), fc.constantFrom("", "<", ">", "&", '"', "</a>", "<a>", ":", "xmlns:saml2=\"\" ", "&#0;")).map(([xml, at, insert]) => {
      const i = at % (xml.length + 1);
      return insert === "" ? xml.slice(0, i) + xml.slice(i + 1) : xml.slice(0, i) + insert + xml.slice(i);
    });
    await withLibxml2(fc.sample(damage, 150), (xml) => xml, expectNoLooserThanLibxml2);
  }, 60_000);

  test("refuses processing instructions, which libxml2 reads but SAML never carries", async () => {
    const xml = `<samlp:Response xmlns:samlp="${PROTOCOL}"><?pi data?></samlp:Response>`;
    expect((await readWithLibxml2(xml)).ok).toBe(true);
    expect(ours(xml)).toEqual({ ok: false, code: "invalid_saml_message" });
  });
});
