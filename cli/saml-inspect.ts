import { CodedError, InvalidSamlMessage } from "../shared/errors.ts";
import { inspectSamlMessage } from "../shared/saml/index.ts";

/** What the command needs from its runtime; the `ssomig` binary passes the Node/Bun/Deno versions. */
export interface SamlInspectIo {
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
  out(line: string): void;
}

export const SAML_INSPECT_USAGE = "usage: ssomig saml inspect FILE|-  (raw XML, base64, DEFLATE+base64, form body or URL)";

const EXIT_OK = 0;
const EXIT_REFUSED = 2;
const EXIT_INTERNAL = 1;

const SAML_PARAMETERS = new Set(["SAMLResponse", "SAMLRequest"]);
const URL_WITH_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const HAS_SAML_PARAMETER = /(?:^|[?&])SAML(?:Response|Request)=/;

/**
 * `ssomig saml inspect FILE|-`: prints one JSON line describing the SAML message (what the
 * router would route on), or `{"error":{code,detail}}`. Exit 0 when read, 2 when refused or misused.
 */
export async function runSamlInspect(args: string[], io: SamlInspectIo): Promise<number> {
  const [path, ...extra] = args;
  if (path === undefined || path === "" || extra.length > 0) return fail(io, "usage", SAML_INSPECT_USAGE, EXIT_REFUSED);

  let input: string;
  try {
    input = path === "-" ? await io.readStdin() : await io.readFile(path);
  } catch {
    return fail(io, "file_not_found", `cannot read ${path === "-" ? "standard input" : path}`, EXIT_REFUSED);
  }

  try {
    const summary = await inspectSamlMessage(transportedValue(input), { binding: "auto" });
    io.out(
      JSON.stringify({
        type: summary.type,
        issuer: summary.issuer,
        assertionIssuer: summary.assertionIssuer,
        inResponseTo: summary.inResponseTo,
        destination: summary.destination,
        encrypted: summary.encrypted,
      }),
    );
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CodedError) return fail(io, error.code, error.message, EXIT_REFUSED);
    return fail(io, "internal_error", "unexpected error while reading the message", EXIT_INTERNAL);
  }
}

/**
 * The message itself out of whatever was pasted: a URL or form body carrying SAMLResponse /
 * SAMLRequest yields that parameter, still percent-encoded (the decoder undoes it without turning
 * "+" into a space); anything else is taken to be the message.
 */
export function transportedValue(input: string): string {
  const text = input.trim();
  if (text.startsWith("<")) return text;
  const isUrl = URL_WITH_SCHEME.test(text);
  if (!isUrl && !HAS_SAML_PARAMETER.test(text)) return text;
  const query = isUrl ? queryOf(text) : text;
  for (const pair of query.split("&")) {
    const equals = pair.indexOf("=");
    if (equals > 0 && SAML_PARAMETERS.has(pair.slice(0, equals))) return pair.slice(equals + 1);
  }
  throw new InvalidSamlMessage("no SAMLResponse or SAMLRequest parameter found");
}

function queryOf(url: string): string {
  const question = url.indexOf("?");
  if (question === -1) return "";
  const hash = url.indexOf("#", question);
  return url.slice(question + 1, hash === -1 ? undefined : hash);
}

function fail(io: SamlInspectIo, code: string, detail: string, exitCode: number): number {
  io.out(JSON.stringify({ error: { code, detail } }));
  return exitCode;
}
