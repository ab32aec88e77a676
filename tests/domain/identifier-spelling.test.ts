import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ValidationError } from "../../shared/errors.ts";
import { domainNormalForm, lookupSpelling, oidcIssuerNormalForm } from "../../shared/identifier-spelling.ts";
import { normalizeIdentifier, type IdentifierKind } from "../../shared/identifiers.ts";

const normal = (kind: string, value: string) => normalizeIdentifier(kind, value).value;
const refusedAs = (kind: string, value: string): string => {
  try {
    normalizeIdentifier(kind, value);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe("invalid_identifier");
    return (error as ValidationError).message;
  }
  throw new Error(`${kind} ${JSON.stringify(value)} was accepted`);
};

describe("one identity, one spelling", () => {
  test("OIDC issuers: scheme and host lower-cased, default port and trailing slashes dropped, path case kept", () => {
    const one = "https://idp.example.com";
    for (const spelling of ["https://idp.example.com", "https://idp.example.com/", "HTTPS://IdP.Example.COM", "https://idp.example.com:443/", "https://IDP.example.com//"]) {
      expect(normal("oidc_issuer", spelling)).toBe(one);
    }
    expect(normal("oidc_issuer", "https://login.microsoftonline.com/TID/v2.0/")).toBe("https://login.microsoftonline.com/TID/v2.0");
    expect(normal("oidc_issuer", "https://idp.example.com:8443/x/")).toBe("https://idp.example.com:8443/x");
    expect(normal("oidc_issuer", "https://idp.example.com/a/./b/../c")).toBe("https://idp.example.com/a/c");
    expect(normal("oidc_issuer", "http://LOCALHOST:80/")).toBe("http://localhost");
  });
  test("OIDC issuers with a non-ASCII host are refused (write it as xn--)", () => {
    expect(refusedAs("oidc_issuer", "https://münchen.example/")).toContain("xn--");
    expect(normal("oidc_issuer", "https://xn--mnchen-3ya.example/")).toBe("https://xn--mnchen-3ya.example");
  });
  test("domains: lower-cased, trailing dot dropped, Unicode as punycode", () => {
    expect(normal("domain", "Acme.COM.")).toBe("acme.com");
    expect(normal("domain", "münchen.DE")).toBe("xn--mnchen-3ya.de");
    expect(normal("domain", "MÜNCHEN.de.")).toBe("xn--mnchen-3ya.de");
    expect(normal("domain", "xn--mnchen-3ya.de")).toBe("xn--mnchen-3ya.de");
    expect(normal("domain", "例え.テスト")).toBe("xn--r8jz45g.xn--zckzah");
    expect(normal("domain", "straße.de")).toBe("xn--strae-oqa.de");
    expect(normal("domain", "example。com")).toBe("example.com");
  });
  test.each(["xn--zz.com", "a..b.com", "münchen.de:443", "münchen.de/x", "bob@münchen.de", "١٢٣.com", "a b.com", "acme.com..", "x".repeat(10_000) + ".com"])(
    "refuses %p as a domain",
    (value) => void refusedAs("domain", value),
  );
  test("SAML issuers stay exact; surrounding whitespace is refused, not trimmed", () => {
    expect(normal("saml_issuer", "HTTPS://IdP.example.com/")).toBe("HTTPS://IdP.example.com/");
    expect(refusedAs("saml_issuer", "urn:x ")).toContain("whitespace");
    expect(refusedAs("saml_issuer", "\u00a0urn:x")).toContain("whitespace");
    expect(refusedAs("saml_issuer", "urn:x\u2028")).toBeTruthy();
  });
  test("invisible characters are refused in every kind, before any mapping could hide them", () => {
    const invisible = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u2066", "\u061c", "\u200e", "\u034f", "\ufe0f"];
    for (const ch of invisible) {
      expect(refusedAs("domain", `exa${ch}mple.com`)).toContain("invisible");
      expect(refusedAs("saml_issuer", `urn:ex${ch}ample`)).toContain("invisible");
      expect(refusedAs("oidc_issuer", `https://idp.example.com/${ch}`)).toContain("invisible");
      refusedAs("connection", `conn${ch}`);
      refusedAs("client_id", `client${ch}`);
    }
  });
  test("NUL, other controls and unpaired surrogates are refused in every kind", () => {
    for (const kind of ["domain", "saml_issuer", "oidc_issuer", "connection", "client_id"]) {
      for (const bad of ["a\u0000", "a\u0085", "a\ud800", "\udc00a"]) refusedAs(kind, kind === "domain" ? `${bad}.com` : bad);
    }
  });
  test("a refused value is echoed without its unsafe characters", () => {
    try {
      normalizeIdentifier("saml_issuer", "urn:\u0000\u202e\ud800");
    } catch (error) {
      expect((error as ValidationError).details?.value).toBe("urn:\ufffd\ufffd\ufffd");
    }
  });
});

/** Characters that make spelling differences: case, dots, slashes, ports, Unicode letters. */
const domainish = fc.string({ unit: fc.constantFrom(..."aAbBzZ09-.", "ü", "Ü", "ß", "。", "例", "xn--", ".com", "."), maxLength: 20 });
const issuerish = fc
  .tuple(
    fc.constantFrom("https://", "HTTPS://", "http://", "Https://"),
    fc.string({ unit: fc.constantFrom(..."aAzZ09-.", "ü"), minLength: 1, maxLength: 12 }),
    fc.constantFrom("", ":443", ":8443", ":0443"),
    fc.string({ unit: fc.constantFrom(..."/aA.~%7e_", "/..", "/."), maxLength: 12 }),
  )
  .map((parts) => parts.join(""));

describe("normal forms are stable and the router's fast path agrees with the API", () => {
  const cases: [IdentifierKind, fc.Arbitrary<string>][] = [
    ["domain", domainish],
    ["oidc_issuer", issuerish],
  ];
  for (const [kind, arbitrary] of cases) {
    test(`${kind}: normalizing twice is normalizing once, and lookupSpelling(v) is the API's normal form whenever v is valid`, () => {
      fc.assert(
        fc.property(arbitrary, (value) => {
          let once: string;
          try {
            once = normalizeIdentifier(kind, value).value;
          } catch {
            return; // refused by the API: no key can hold it
          }
          expect(normalizeIdentifier(kind, once).value).toBe(once);
          expect(lookupSpelling(kind, value)).toBe(once);
          expect(lookupSpelling(kind, once)).toBe(once);
        }),
        { numRuns: 3000 },
      );
    });
  }
  test("plain ASCII values take the fast path and come back unchanged", () => {
    expect(lookupSpelling("domain", "acme.com")).toBe("acme.com");
    expect(lookupSpelling("oidc_issuer", "https://acme.okta.com/oauth2/default")).toBe("https://acme.okta.com/oauth2/default");
    expect(domainNormalForm("acme.com")).toBe("acme.com");
    expect(oidcIssuerNormalForm("https://acme.okta.com/")).toEqual({ value: "https://acme.okta.com" });
  });
  test("a request value that is not a valid identifier is looked up as it is (it can only match an old exact spelling)", () => {
    expect(lookupSpelling("domain", "not a domain")).toBe("not a domain");
    expect(lookupSpelling("oidc_issuer", "garbage")).toBe("garbage");
    expect(lookupSpelling("saml_issuer", "HTTPS://X/")).toBe("HTTPS://X/");
  });
});
