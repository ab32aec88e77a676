/**
 * The slowest SAML input the router accepts, next to a normal one: for each structural dimension
 * the nastiest message under the limits at the largest accepted size (generators.ts), sent
 * through the whole routing decision (form decoding, base64, the structural pre-check, xmldom,
 * lookup), beside the 10 KB sample response measured in the same rounds. Rounds alternate the
 * normal message and every case, so a slow minute on this shared machine hits both.
 *
 *   bun bench/worst-case/run.ts [--rounds 5]
 */
import { SAMPLE_ISSUER, sampleSamlResponse } from "../../cli/saml-sample.ts";
import { DEFAULT_MAX_SAML_BYTES } from "../../shared/saml/decode-saml-message.ts";
import { DEFAULT_XML_LIMITS } from "../../shared/saml/xml-limits.ts";
import { samlDecision, samlFormBody, samlLookup, timeEach } from "../decision/run.ts";
import { argNumber, fmt, percentile, table } from "../stats.ts";
import { attributeBomb, WORST_CASE_ISSUER, WORST_CASES } from "./generators.ts";

/**
 * `ratio` compares medians; `fastestRatio` compares each side's fastest run, which is what the
 * work costs when no other process takes the CPU away: a 10 ms decision is preempted far more
 * often than a 0.25 ms one on a busy 2-core machine, which inflates the median ratio.
 */
export type WorstCaseRow = { name: string; xmlBytes: number; outcome: string; medianUs: number; fastestUs: number; ratio: number; fastestRatio: number };
export type WorstCaseResult = { normalMedianUs: number; normalFastestUs: number; normalBytes: number; rows: WorstCaseRow[]; slowest: WorstCaseRow };

const base64Of = (xml: string) => Buffer.from(xml, "utf8").toString("base64");

export async function worstCaseBench(rounds: number): Promise<WorstCaseResult> {
  const lookup = samlLookup({ [SAMPLE_ISSUER]: "acme", [WORST_CASE_ISSUER]: "worst" });
  const normal = sampleSamlResponse();
  const decideNormal = samlDecision(samlFormBody(normal.base64), lookup);
  const cases = [
    ...WORST_CASES.map((c) => ({ name: c.name, xml: c.build(DEFAULT_XML_LIMITS, DEFAULT_MAX_SAML_BYTES) })),
    { name: "the issue-10 bomb: 36,000 attributes on one element (refused)", xml: attributeBomb() },
  ].map((c) => ({ ...c, decide: samlDecision(samlFormBody(base64Of(c.xml)), lookup), samples: [] as number[], outcome: "" }));
  const normalSamples: number[] = [];
  for (const c of cases) c.outcome = (await c.decide()) ?? "default";
  // Warm-up: an attacker repeats the same shape, so each is measured once the JIT has seen it.
  await timeEach(1000, decideNormal);
  for (const c of cases) await timeEach(30, c.decide);
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      normalSamples.push(...(await timeEach(40, decideNormal)));
      c.samples.push(...(await timeEach(4, c.decide)));
    }
  }
  const normalMedianUs = percentile(normalSamples, 50);
  const normalFastestUs = Math.min(...normalSamples);
  const rows = cases.map((c) => {
    const medianUs = percentile(c.samples, 50);
    const fastestUs = Math.min(...c.samples);
    const outcome = c.outcome === "worst" ? "routed" : c.outcome;
    return { name: c.name, xmlBytes: Buffer.byteLength(c.xml), outcome, medianUs, fastestUs, ratio: medianUs / normalMedianUs, fastestRatio: fastestUs / normalFastestUs };
  });
  const slowest = rows.reduce((a, b) => (b.medianUs > a.medianUs ? b : a));
  return { normalMedianUs, normalFastestUs, normalBytes: Buffer.byteLength(normal.xml), rows, slowest };
}

export function worstCaseTable(result: WorstCaseResult): string {
  const rows = [
    [`normal: the ${(result.normalBytes / 1024).toFixed(1)} KB sample response`, String(result.normalBytes), "routed", fmt(result.normalMedianUs), "1.0x", fmt(result.normalFastestUs), "1.0x"],
    ...result.rows.map((r) => [r.name, String(r.xmlBytes), r.outcome, fmt(r.medianUs), `${r.ratio.toFixed(1)}x`, fmt(r.fastestUs), `${r.fastestRatio.toFixed(1)}x`]),
  ];
  return table(["input (whole routing decision)", "XML bytes", "outcome", "median µs", "vs normal", "fastest µs", "vs normal"], rows);
}

if (import.meta.main) {
  const result = await worstCaseBench(argNumber("--rounds", 5));
  console.log(worstCaseTable(result));
  const slowestFastest = result.rows.reduce((a, b) => (b.fastestRatio > a.fastestRatio ? b : a));
  console.log(`\nslowest by median: ${result.slowest.name}, ${result.slowest.ratio.toFixed(1)}x a normal response (target <= 20x)`);
  console.log(`slowest by fastest run: ${slowestFastest.name}, ${slowestFastest.fastestRatio.toFixed(1)}x`);
}
