/**
 * The routing decision alone, in process: a 10 KB SAMLResponse form post classified, decoded,
 * parsed (@xmldom/xmldom behind the structural limits) and looked up against a 100,000-organization table. Baseline in the same run: base64
 * decoding of the same message (the floor any reader pays).
 *
 *   bun bench/decision/run.ts [--iterations 20000]
 */
import { classifyRequest, compilePathTables, type RoutableRequest } from "../../shared/routing/classify-request.ts";
import { resolveOrganization, type RouteLookup } from "../../shared/routing/resolve-organization.ts";
import { formFields } from "../../shared/routing/form-fields.ts";
import { decodeBase64 } from "../../shared/saml/index.ts";
import { SAMPLE_ISSUER, sampleSamlResponse } from "../../cli/saml-sample.ts";
import { fmt, percentile, table, argNumber } from "../stats.ts";

export type DecisionResult = { medianUs: number; p99Us: number; baselineMedianUs: number; bytes: number };

export async function timeEach(iterations: number, fn: () => unknown | Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await fn();
    samples.push((performance.now() - started) * 1000);
  }
  return samples;
}

/** A route table of 100,000 SAML issuers (plus `extraIssuers`), as the router holds it. */
export function samlLookup(extraIssuers: Record<string, string>): RouteLookup {
  const issuers = new Map<string, string>();
  for (let i = 0; i < 100_000; i++) issuers.set(`saml_issuer\u0000http://www.okta.com/exk${i}`, `org-${i}`);
  for (const [issuer, org] of Object.entries(extraIssuers)) issuers.set(`saml_issuer\u0000${issuer}`, org);
  return {
    providerOf: (id) => (id.startsWith("org-") || Object.values(extraIssuers).includes(id) ? "target" : undefined),
    organizationOf: (kind, value) => issuers.get(`${kind}\u0000${value}`),
  };
}

/**
 * One routing decision for a SAMLResponse form post to Cognito's ACS: form fields, classify,
 * decode, read, look up. Resolves to the organization, or to the refusal's code.
 */
export function samlDecision(formBody: string, lookup: RouteLookup): () => Promise<string | null> {
  const paths = compilePathTables(["cognito", "scalekit"]);
  return async () => {
    const req: RoutableRequest = { method: "POST", path: "/saml2/idpresponse", query: new URLSearchParams(), form: formFields(formBody), basicClientId: null };
    try {
      const decision = await resolveOrganization(req, classifyRequest(req, paths), { lookup, readPin: async () => null, defaultProvider: "legacy" });
      return decision.organizationId;
    } catch (error) {
      return (error as { code?: string }).code ?? "crash";
    }
  };
}

export const samlFormBody = (base64: string) => `SAMLResponse=${encodeURIComponent(base64)}&RelayState=r`;

export async function decisionBench(iterations: number): Promise<DecisionResult> {
  const { base64 } = sampleSamlResponse();
  const body = samlFormBody(base64);
  const decide = samlDecision(body, samlLookup({ [SAMPLE_ISSUER]: "acme" }));
  if ((await decide()) !== "acme") throw new Error("the benchmark message did not resolve");
  await timeEach(Math.min(2000, iterations), decide); // warm-up
  await timeEach(Math.min(2000, iterations), () => decodeBase64(base64));
  const baseline = await timeEach(iterations, () => decodeBase64(base64));
  const samples = await timeEach(iterations, decide);
  return { medianUs: percentile(samples, 50), p99Us: percentile(samples, 99), baselineMedianUs: percentile(baseline, 50), bytes: body.length };
}

if (import.meta.main) {
  const iterations = argNumber("--iterations", 20_000);
  const r = await decisionBench(iterations);
  console.log(table(["measure", "median µs", "p99 µs"], [[`routing decision (${r.bytes} B form)`, fmt(r.medianUs), fmt(r.p99Us)], ["baseline: base64 decode only", fmt(r.baselineMedianUs), "-"]]));
}
