/** Prints, as JSON, how this runtime normalizes SPELLINGS: run by identifier-spelling-runtimes.test.ts under each runtime. */
import { lookupSpelling } from "../../shared/identifier-spelling.ts";
import { normalizeIdentifier, type IdentifierKind } from "../../shared/identifiers.ts";

export const SPELLINGS: [IdentifierKind, string][] = [
  ["domain", "Straße.de"], ["domain", "münchen.DE."], ["domain", "例え.テスト"], ["domain", "faß.de"], ["domain", "١٢٣.com"],
  ["domain", "ﬁ.com"], ["domain", "Ⅸ.com"], ["domain", "example。com"], ["domain", "xn--zz.com"], ["domain", "\u0430pple.com"],
  ["domain", "b\u200cc.com"], ["domain", "ab\u0627.com"], ["domain", "ÉXAMPLE.com"],
  ["oidc_issuer", "HTTPS://IdP.Example.COM:443/"], ["oidc_issuer", "https://idp.example.com/a/./b/../c/"], ["oidc_issuer", "https://idp.example.com/%2e%2E/x"],
  ["oidc_issuer", "https://idp.example.com:08443/"], ["oidc_issuer", "http://[::1]:80/"], ["oidc_issuer", "https://1.2.3/"],
];

export function normalForms(): unknown[] {
  return SPELLINGS.map(([kind, value]) => {
    let api: string;
    try {
      api = normalizeIdentifier(kind, value).value;
    } catch (error) {
      api = `refused: ${(error as Error).message}`;
    }
    return { kind, value, api, lookup: lookupSpelling(kind, value) };
  });
}

if (import.meta.main ?? process.argv[1]?.endsWith("print-normal-forms.ts")) console.log(JSON.stringify(normalForms()));
