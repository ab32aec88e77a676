/**
 * What identifier normalization costs the router. Per request: the lookup spelling of a
 * request's domain or issuer, beside the baseline of the plain Map lookup the router did before
 * (raw value, lower-cased for domains). At load: keying 300,000 identifiers by spelling key,
 * beside keying them by the raw value.
 *
 *   bun bench/identifier-lookup/run.ts [--iterations 200000]
 */
import { lookupSpelling, spellingKey } from "../../shared/identifier-spelling.ts";
import { identifierKey, type Identifier, type IdentifierKind } from "../../shared/identifiers.ts";
import { argNumber, fmt, table } from "../stats.ts";

const iterations = argNumber("iterations", 200_000);
const owners = new Map<string, string>([
  ["domain\u0000acme.com", "acme"],
  ["domain\u0000xn--mnchen-3ya.de", "munich"],
  ["oidc_issuer\u0000https://acme.okta.com/oauth2/default", "acme"],
]);

function nsPerCall(fn: () => unknown): number {
  for (let i = 0; i < 10_000; i++) fn(); // warm up
  const started = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return ((performance.now() - started) * 1e6) / iterations;
}

const cases: [string, IdentifierKind, string][] = [
  ["domain, plain lower-case (fast path)", "domain", "acme.com"],
  ["domain, upper-case + trailing dot", "domain", "ACME.com."],
  ["domain, Unicode (tr46)", "domain", "münchen.de"],
  ["oidc_issuer, plain (fast path)", "oidc_issuer", "https://acme.okta.com/oauth2/default"],
  ["oidc_issuer, trailing slash + port (URL)", "oidc_issuer", "https://acme.okta.com:443/oauth2/default/"],
];

const rows: string[][] = [];
for (const [label, kind, value] of cases) {
  const baseline = nsPerCall(() => owners.get(`${kind}\u0000${kind === "domain" ? value.toLowerCase() : value}`));
  const normalized = nsPerCall(() => owners.get(`${kind}\u0000${lookupSpelling(kind, value)}`));
  rows.push([label, fmt(baseline, 0), fmt(normalized, 0), owners.get(`${kind}\u0000${lookupSpelling(kind, value)}`) ?? "(none)"]);
}
console.log(table(["request value", "baseline ns", "normalized ns", "finds"], rows));

const identifiers: Identifier[] = [];
for (let i = 0; i < 100_000; i++) {
  identifiers.push({ kind: "domain", value: `org${i}.example.com` });
  identifiers.push({ kind: "saml_issuer", value: `http://www.okta.com/exk${i}` });
  identifiers.push({ kind: "oidc_issuer", value: `https://org${i}.okta.com` });
}
const keying = (key: (i: Identifier) => string) => {
  const started = performance.now();
  const map = new Map<string, number>();
  for (const identifier of identifiers) map.set(key(identifier), 1);
  return performance.now() - started;
};
// Alternated and repeated: one run on a shared machine is mostly garbage-collector noise.
const raw: number[] = [];
const spelled: number[] = [];
for (let round = 0; round < 7; round++) {
  raw.push(keying(identifierKey));
  spelled.push(keying(spellingKey));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rawMs = median(raw);
const spelledMs = median(spelled);
console.log(table(["route table load, 300,000 identifiers", "baseline ms (raw key, median of 7)", "spelling key ms (median of 7)"], [["keying", fmt(rawMs), fmt(spelledMs)]]));
