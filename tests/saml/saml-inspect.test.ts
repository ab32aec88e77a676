import { describe, expect, test } from "bun:test";
import { runSamlInspect, type SamlInspectIo } from "../../cli/saml-inspect.ts";
import { readFixtureText } from "./fixtures.ts";

interface Run {
  exitCode: number;
  lines: string[];
  json: unknown;
}

/** Runs the command with files served from the fixture corpus and stdin given as a string. */
async function run(args: string[], stdin = ""): Promise<Run> {
  const lines: string[] = [];
  const io: SamlInspectIo = {
    readFile: async (path) => readFixtureText(path),
    readStdin: async () => stdin,
    out: (line) => lines.push(line),
  };
  const exitCode = await runSamlInspect(args, io);
  return { exitCode, lines, json: JSON.parse(lines[0] ?? "null") };
}

const OKTA_RAW = "ssoready__assertions_okta_assertion.xml";
const ONELOGIN_BASE64 = "crewjam-saml__TestSPCanHandleOneloginResponse_response";
const LOGOUT_DEFLATED = "python3-saml__logout_responses_logout_response_deflated.xml.base64";
const BILLION_LAUGHS = "ruby-saml__responses_attackxee.xml";

describe("ssomig saml-inspect", () => {
  test("prints one JSON line for a raw XML file and exits 0", async () => {
    const result = await run([OKTA_RAW]);
    expect(result.exitCode).toBe(0);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toBe(
      '{"type":"Response","issuer":"http://www.okta.com/exkdoocxa1VmjpXmX697","assertionIssuer":"http://www.okta.com/exkdoocxa1VmjpXmX697","inResponseTo":null,"destination":"http://localhost:8080","encrypted":false}',
    );
  });

  test("reads a base64 (HTTP-POST) file", async () => {
    expect(await run([ONELOGIN_BASE64])).toMatchObject({
      exitCode: 0,
      json: { type: "Response", issuer: "https://app.onelogin.com/saml/metadata/503983", inResponseTo: "id-d40c15c104b52691eccf0a2a5c8a15595be75423" },
    });
  });

  test("reads a DEFLATE+base64 (HTTP-Redirect) file", async () => {
    expect(await run([LOGOUT_DEFLATED])).toMatchObject({
      exitCode: 0,
      json: { type: "LogoutResponse", issuer: "http://idp.example.com/", destination: "http://stuff.com/endpoints/endpoints/sls.php" },
    });
  });

  test("reads a URL-encoded value from stdin when FILE is -", async () => {
    const value = encodeURIComponent(readFixtureText(LOGOUT_DEFLATED).trim());
    expect(await run(["-"], value)).toMatchObject({ exitCode: 0, json: { type: "LogoutResponse", issuer: "http://idp.example.com/" } });
  });

  test("extracts SAMLResponse from a whole form body", async () => {
    const body = `SAMLResponse=${encodeURIComponent(readFixtureText(ONELOGIN_BASE64))}&RelayState=%2Fhome`;
    expect(await run(["-"], body)).toMatchObject({ exitCode: 0, json: { issuer: "https://app.onelogin.com/saml/metadata/503983" } });
  });

  test("extracts SAMLRequest from a Redirect-binding URL", async () => {
    const value = encodeURIComponent(readFixtureText("ruby-saml__logout_requests_slo_request_deflated.xml.base64").trim());
    const url = `https://idp.example.com/slo?SAMLRequest=${value}&RelayState=abc&SigAlg=rsa-sha256#frag`;
    expect(await run(["-"], url)).toMatchObject({
      exitCode: 0,
      json: { type: "LogoutRequest", issuer: "https://app.onelogin.com/saml/metadata/SOMEACCOUNT" },
    });
  });

  test("refuses a hostile message with a JSON error and exit 2", async () => {
    const result = await run([BILLION_LAUGHS]);
    expect(result.exitCode).toBe(2);
    expect(result.lines).toHaveLength(1);
    expect(result.json).toEqual({ error: { code: "invalid_saml_message", detail: "DTDs and entity declarations are not allowed" } });
  });

  test("refuses a URL that carries no SAML parameter", async () => {
    expect(await run(["-"], "https://idp.example.com/sso?RelayState=x")).toMatchObject({
      exitCode: 2,
      json: { error: { code: "invalid_saml_message" } },
    });
  });

  test("reports a missing FILE argument as a usage error", async () => {
    const result = await run([]);
    expect(result.exitCode).toBe(2);
    expect(result.json).toMatchObject({ error: { code: "usage" } });
  });

  test("reports an unreadable file as file_not_found, naming it", async () => {
    const result = await run(["no-such-file.xml"]);
    expect(result.exitCode).toBe(2);
    expect(result.json).toEqual({ error: { code: "file_not_found", detail: "cannot read no-such-file.xml" } });
  });
});
