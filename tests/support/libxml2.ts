import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { SamlMessageSummary } from "../../shared/saml/index.ts";

/**
 * libxml2 as a second, conformant reader of SAML messages, for differential tests only.
 *
 * libxml2's `xmllint` compiled to WebAssembly (xmllint-wasm, which the dev dependency
 * @authenio/samlify-xmllint-wasm brings) parses the message and prints it in W3C Canonical XML
 * (`--c14n`). Canonical XML is libxml2's reading written out without any of XML's freedoms:
 * CDATA already turned into text, every reference already resolved (and the few characters that
 * must be escaped escaped one fixed way), attributes double-quoted, line ends normalized, every
 * namespace declaration explicit. Reading the routing summary back out of that form needs no XML
 * parser, only the fixed tokens below, so the values come from libxml2, not from us.
 *
 * Each call runs xmllint in a fresh worker (about 40 ms): fine for tests, nothing else.
 */
export type Libxml2Outcome =
  | { ok: true; summary: SamlMessageSummary }
  /** Well-formed to libxml2, but Canonical XML cannot be written (a relative namespace URI). */
  | { ok: true; summary: null }
  | { ok: false; error: string };

const require = createRequire(import.meta.url);
const packageDir = require.resolve("@authenio/samlify-xmllint-wasm/package.json").replace(/package\.json$/, "");
const XMLLINT_WORKER = require.resolve("xmllint-wasm/xmllint-node.js", { paths: [packageDir] });

const PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion";
const XMLNS_PREFIX = "xmlns";

interface XmllintRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function runXmllint(args: string[], xml: string): Promise<XmllintRun> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(XMLLINT_WORKER);
    worker.once("message", (message: XmllintRun) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once("error", (error) => {
      reject(error);
      void worker.terminate();
    });
    worker.postMessage({ inputFiles: [{ fileName: "message.xml", contents: xml }], args: [...args, "message.xml"], initialMemory: 256, maxMemory: 4096 });
  });
}

/** libxml2's verdict on `xml` and, when it accepts it, the routing summary it reads. */
export async function readWithLibxml2(xml: string): Promise<Libxml2Outcome> {
  const run = await runXmllint(["--nonet", "--c14n"], xml);
  // Namespace errors (a duplicate `a:x`/`b:x`, `xmlns` bound to the xmlns URI) are reported but
  // not fatal to xmllint; Namespaces in XML makes them errors, so they count as refusals here.
  const parseError = /^message\.xml:\d+: (?:parser|namespace) error : (.*)$/m.exec(run.stderr);
  if (parseError) return { ok: false, error: parseError[1]! };
  if (run.exitCode !== 0) {
    if (/Relative namespace UR/.test(run.stderr)) return { ok: true, summary: null };
    return { ok: false, error: run.stderr.split("\n")[0] ?? `exit ${run.exitCode}` };
  }
  return { ok: true, summary: summaryOfCanonicalXml(run.stdout) };
}

const TOKEN = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<\/([^\s>]+)>|<([^\s>]+)((?:\s+[^\s=]+="[^"]*")*)>|([^<]+)/g;
const ATTRIBUTE = /\s+([^\s=]+)="([^"]*)"/g;
const ESCAPES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x9;": "\t", "&#xA;": "\n", "&#xD;": "\r" };
const decode = (text: string) => text.replace(/&(?:amp|lt|gt|quot|#x9|#xA|#xD);/g, (escape) => ESCAPES[escape]!);
const XML_SPACE_AROUND = /^[ \t\r\n]+|[ \t\r\n]+$/g;

interface Open {
  qname: string;
  ns: string | null;
  local: string;
  scope: Map<string, string>;
  /** This element's text is being collected (it is a routing Issuer). */
  issuer: { text: string } | null;
  firstAssertion: boolean;
}

/** The routing summary, from libxml2's Canonical XML output (a well-formed document by construction). */
export function summaryOfCanonicalXml(canonical: string): SamlMessageSummary {
  const stack: Open[] = [];
  let type = "other";
  let inResponseTo: string | null = null;
  let destination: string | null = null;
  let rootIssuer: { text: string } | null = null;
  let assertionIssuer: { text: string } | null = null;
  let assertionSeen = false;
  let encrypted = false;
  for (const token of canonical.matchAll(TOKEN)) {
    const [, endName, startName, attributeText, text] = token;
    if (endName !== undefined) {
      stack.pop();
      continue;
    }
    if (text !== undefined) {
      const top = stack.at(-1);
      if (top?.issuer) top.issuer.text += decode(text);
      continue;
    }
    if (startName === undefined) continue; // a comment or processing instruction
    const parent = stack.at(-1);
    const scope = new Map(parent?.scope ?? []);
    const plain = new Map<string, string>();
    for (const [, name, value] of (attributeText ?? "").matchAll(ATTRIBUTE)) {
      if (name === XMLNS_PREFIX) scope.set("", decode(value!));
      else if (name!.startsWith(`${XMLNS_PREFIX}:`)) scope.set(name!.slice(6), decode(value!));
      else plain.set(name!, decode(value!));
    }
    const colon = startName.indexOf(":");
    const local = colon === -1 ? startName : startName.slice(colon + 1);
    const nsValue = scope.get(colon === -1 ? "" : startName.slice(0, colon));
    const ns = nsValue === undefined || nsValue === "" ? null : nsValue;
    const open: Open = { qname: startName, ns, local, scope, issuer: null, firstAssertion: false };
    if (parent === undefined) {
      if (ns === PROTOCOL_NS) type = local;
      inResponseTo = plain.get("InResponseTo") ?? null;
      destination = plain.get("Destination") ?? null;
    }
    if (ns === ASSERTION_NS) {
      if (local === "EncryptedAssertion") encrypted = true;
      if (local === "Assertion" && !assertionSeen) {
        assertionSeen = true;
        open.firstAssertion = true;
      }
      if (local === "Issuer") {
        if (stack.length === 1 && rootIssuer === null) open.issuer = rootIssuer = { text: "" };
        // A bare Assertion as the root: its Issuer is both the root's and the assertion's.
        if (parent?.firstAssertion && assertionIssuer === null) open.issuer = assertionIssuer = open.issuer ?? { text: "" };
      }
    }
    stack.push(open);
  }
  const value = (capture: { text: string } | null) => {
    const trimmed = capture?.text.replace(XML_SPACE_AROUND, "") ?? "";
    return trimmed === "" ? null : trimmed;
  };
  const assertionValue = value(assertionIssuer);
  return { type, issuer: value(rootIssuer) ?? assertionValue, assertionIssuer: assertionValue, inResponseTo, destination, encrypted };
}
