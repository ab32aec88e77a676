import { describe, expect, test } from "bun:test";
import { attributeBomb, WORST_CASE_ISSUER, WORST_CASES } from "../../bench/worst-case/generators.ts";
import { sampleSamlResponse } from "../../cli/saml-sample.ts";
import { checkXmlStructure } from "../../shared/saml/check-xml-structure.ts";
import { DEFAULT_MAX_SAML_BYTES, DEFAULT_XML_LIMITS, readSamlMessage, type XmlLimits } from "../../shared/saml/index.ts";

/**
 * Every input under the limits costs at most linear time. No absolute timings: each check
 * compares two costs measured in the same test (the fastest of a few runs, so a busy machine
 * does not decide), with bounds generous enough for noise and tight enough that a quadratic
 * step fails (the issue-10 attribute bomb cost 25,000 times a normal response).
 */

function fastest(runs: number, work: () => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    Bun.gc(true); // each run starts from the same heap: a collection left over from the last one is not this one's cost
    const started = performance.now();
    try {
      work();
    } catch {
      // refusals cost time too, and are measured the same way
    }
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** Every count limit multiplied by `factor` (depth kept: it is a constant, see the deep-nesting case). */
function scaled(factor: number): XmlLimits {
  const limits = { ...DEFAULT_XML_LIMITS };
  for (const key of Object.keys(limits) as (keyof XmlLimits)[]) {
    if (key !== "maxDepth" && key !== "maxNameLength" && key !== "maxNamespaceUriLength") limits[key] = Math.ceil(limits[key] * factor);
  }
  return limits;
}

const refusal = (xml: string, limits: XmlLimits): unknown => {
  try {
    readSamlMessage(xml, limits);
  } catch (error) {
    return error;
  }
  return null;
};

describe("structural limits", () => {
  test.each(WORST_CASES.map((c) => [c.name, c] as const))("the nastiest message for %s is read, at the size limit", (_name, worstCase) => {
    const xml = worstCase.build(DEFAULT_XML_LIMITS, DEFAULT_MAX_SAML_BYTES);
    expect(new TextEncoder().encode(xml).length).toBe(DEFAULT_MAX_SAML_BYTES);
    expect(readSamlMessage(xml).issuer?.startsWith(WORST_CASE_ISSUER)).toBe(true);
  });

  const limited = WORST_CASES.filter((c) => c.limit !== undefined);
  test.each(limited.map((c) => [c.limit!, c] as const))("one more than %s is refused with 400 invalid_saml_message naming the limit", (limit, worstCase) => {
    const over = worstCase.build({ ...DEFAULT_XML_LIMITS, [limit]: DEFAULT_XML_LIMITS[limit] + 1 }, DEFAULT_MAX_SAML_BYTES * 2);
    const error = refusal(over, DEFAULT_XML_LIMITS) as { code: string; message: string; details: unknown };
    expect(error).toMatchObject({ code: "invalid_saml_message", details: { limit, max: DEFAULT_XML_LIMITS[limit] } });
    expect(error.message).toContain(limit);
  });

  test("every limit has a worst case that sits exactly at it", () => {
    expect(new Set(limited.map((c) => c.limit))).toEqual(new Set(Object.keys(DEFAULT_XML_LIMITS) as (keyof XmlLimits)[]));
  });

  test("the issue-10 bomb (36,000 attributes on the root, 255 KB) is refused by the per-element cap", () => {
    const xml = attributeBomb(36_000);
    expect(new TextEncoder().encode(xml).length).toBeLessThan(DEFAULT_MAX_SAML_BYTES);
    expect(refusal(xml, DEFAULT_XML_LIMITS)).toMatchObject({ code: "invalid_saml_message", details: { limit: "maxAttributesPerElement" } });
  });
});

describe("cost grows linearly with every dimension", () => {
  const normal = sampleSamlResponse().xml;

  test.each(WORST_CASES.map((c) => [c.name, c] as const))("%s: at the limits, at most 150 times a normal response", (_name, worstCase) => {
    const xml = worstCase.build(DEFAULT_XML_LIMITS, DEFAULT_MAX_SAML_BYTES);
    const normalCost = fastest(200, () => readSamlMessage(normal));
    const worstCost = fastest(5, () => readSamlMessage(xml));
    expect(worstCost / normalCost).toBeLessThan(150);
  });

  // Linear: 8 times the work costs about 8 times as much; quadratic: 64. The bound leaves room
  // for garbage collection, which costs more per object in a larger heap.
  test.each(WORST_CASES.map((c) => [c.name, c] as const))("%s: eight times the limits and the size cost at most 24 times as much", (_name, worstCase) => {
    const small = worstCase.build(scaled(0.5), DEFAULT_MAX_SAML_BYTES / 2);
    const large = worstCase.build(scaled(4), DEFAULT_MAX_SAML_BYTES * 4);
    const smallCost = fastest(7, () => readSamlMessage(small, scaled(0.5)));
    const largeCost = fastest(5, () => readSamlMessage(large, scaled(4)));
    expect(largeCost / smallCost).toBeLessThan(24);
  });

  test("the structural pre-check stays linear with its caps lifted (the issue-10 attribute bomb, 4,500 vs 36,000 attributes)", () => {
    const unlimited: XmlLimits = { ...scaled(1_000), maxDepth: 1_000_000, maxNameLength: 1_000_000 };
    const bomb = (count: number) => `<r${Array.from({ length: count }, (_, i) => ` a${i.toString(36)}="1"`).join("")}/>`;
    const [small, large] = [bomb(4_500), bomb(36_000)];
    const smallCost = fastest(7, () => checkXmlStructure(small, unlimited));
    const largeCost = fastest(5, () => checkXmlStructure(large, unlimited));
    expect(largeCost / smallCost).toBeLessThan(24);
  });

  test("the structural pre-check stays linear on many short text segments with a far-away ']]>' or '&'", () => {
    const unlimited: XmlLimits = { ...scaled(1_000), maxDepth: 1_000_000, maxNameLength: 1_000_000 };
    const segments = (count: number) => `<r>${"<a/>x".repeat(count)}<![CDATA[]]>]]>&amp;</r>`;
    const [small, large] = [segments(5_000), segments(40_000)];
    const smallCost = fastest(7, () => checkXmlStructure(small, unlimited));
    const largeCost = fastest(5, () => checkXmlStructure(large, unlimited));
    expect(largeCost / smallCost).toBeLessThan(24);
  });
});
