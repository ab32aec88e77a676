/** One-off, before the scanner's deletion: the streaming scanner and xmldom behind the limits, same run. */
import { decodeBase64, decodeSamlMessage, readSamlMessage, scanSamlMessage } from "../../shared/saml/index.ts";
import { checkXmlStructure } from "../../shared/saml/check-xml-structure.ts";
import { DEFAULT_XML_LIMITS } from "../../shared/saml/xml-limits.ts";
import { sampleSamlResponse } from "../../cli/saml-sample.ts";
import { decisionBench } from "./run.ts";
import { fmt, percentile, table } from "../stats.ts";

const { base64 } = sampleSamlResponse();
const xml = await decodeSamlMessage(base64, { binding: "post" });
const time = (n: number, fn: () => unknown) => {
  const s: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    s.push((performance.now() - t) * 1000);
  }
  return s;
};
const rows: string[][] = [];
for (let round = 0; round < 3; round++) {
  time(2000, () => scanSamlMessage(xml));
  time(2000, () => readSamlMessage(xml));
  const b = time(10000, () => decodeBase64(base64));
  const scan = time(10000, () => scanSamlMessage(xml));
  const read = time(10000, () => readSamlMessage(xml));
  const check = time(10000, () => checkXmlStructure(xml, DEFAULT_XML_LIMITS));
  const decision = await decisionBench(10000);
  rows.push([`round ${round + 1}`, fmt(percentile(b, 50)), fmt(percentile(scan, 50)), fmt(percentile(read, 50)), fmt(percentile(check, 50)), fmt(decision.medianUs), fmt(decision.p99Us)]);
}
console.log(`${xml.length} B of XML, ${base64.length} B of base64`);
console.log(table(["", "base64 µs", "scanner read µs", "xmldom+limits read µs", "of which pre-check µs", "decision (xmldom) median µs", "p99 µs"], rows));
