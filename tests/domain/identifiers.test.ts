import { describe, expect, test } from "bun:test";
import { ValidationError } from "../../shared/errors.ts";
import { normalizeIdentifier } from "../../shared/identifiers.ts";

const rejects = (kind: string, value: unknown) => {
  expect(() => normalizeIdentifier(kind, value)).toThrow(ValidationError);
  try {
    normalizeIdentifier(kind, value);
  } catch (error) {
    expect((error as ValidationError).code).toBe("invalid_identifier");
  }
};

describe("identifier validation", () => {
  test("lower-cases email domains and drops a trailing dot", () =>
    expect(normalizeIdentifier("domain", "Acme.COM.")).toEqual({ kind: "domain", value: "acme.com" }));
  test.each(["acme", "https://acme.com", "acme.com/x", "-acme.com", "10.0.0.1", "acme..com", "a b.com", "acme.com:443"])(
    "refuses %p as a domain",
    (value) => rejects("domain", value),
  );
  test("keeps SAML issuers byte for byte, including the non-URI ones real IdPs ship", () => {
    expect(normalizeIdentifier("saml_issuer", "http://www.okta.com/exkdoocxa1VmjpXmX697").value).toBe("http://www.okta.com/exkdoocxa1VmjpXmX697");
    expect(normalizeIdentifier("saml_issuer", "IdP Entity ID").value).toBe("IdP Entity ID");
    expect(normalizeIdentifier("saml_issuer", "urn:amazon:webservices").value).toBe("urn:amazon:webservices");
  });
  test("refuses issuers with surrounding whitespace or control characters", () => {
    rejects("saml_issuer", " http://idp.example.com");
    rejects("saml_issuer", "http://idp\n.example.com");
    rejects("saml_issuer", "x".repeat(1025));
  });
  test("accepts https OIDC issuers, http only on localhost", () => {
    expect(normalizeIdentifier("oidc_issuer", "https://login.microsoftonline.com/tid/v2.0").value).toBe("https://login.microsoftonline.com/tid/v2.0");
    expect(normalizeIdentifier("oidc_issuer", "http://localhost:8080").value).toBe("http://localhost:8080");
    rejects("oidc_issuer", "http://idp.example.com");
    rejects("oidc_issuer", "https://idp.example.com/?x=1");
    rejects("oidc_issuer", "idp.example.com");
  });
  test("checks connections and client ids", () => {
    expect(normalizeIdentifier("connection", "conn_01HX-okta").value).toBe("conn_01HX-okta");
    rejects("connection", "has space");
    rejects("connection", "../etc");
    expect(normalizeIdentifier("client_id", "m2m-client.123").value).toBe("m2m-client.123");
    rejects("client_id", "with space");
  });
  test("refuses unknown kinds and non-string values", () => {
    rejects("email", "a@b.com");
    rejects("domain", 42);
    rejects("domain", "");
  });
});
