import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { tempDir } from "../support/processes.ts";
import { embeddedApi, FIXTURES, ssomig } from "./support.ts";

/** `ssomig import` as a real process against the embedded default in its own process. */
let api: Awaited<ReturnType<typeof embeddedApi>>;
const scratch = tempDir();
beforeAll(async () => {
  api = await embeddedApi();
}, 60_000);
afterAll(async () => {
  await api?.stop();
  scratch.cleanup();
});

const run = (args: string[]) => ssomig(args, api.env);
const fixture = (name: string) => join(FIXTURES, name);
const identifiersOf = async (id: string) => ((await api.api("GET", `/v1/organizations/${id}`)).body.identifiers as { kind: string; value: string }[]).map((i) => `${i.kind}=${i.value}`).sort();

describe("ssomig import FILE.csv", () => {
  test("--dry-run shows what would change and appends nothing", async () => {
    const before = await api.eventCount();
    const dry = await run(["import", fixture("organizations.csv"), "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("northwind: would be registered with domain=northwind.example");
    expect(dry.stdout.split("\n").at(-1)).toMatch(/^dry run \(nothing sent\): 3 organization\(s\): 3 would be registered/);
    expect(await api.eventCount()).toBe(before);
    expect((await api.api("GET", "/v1/organizations/northwind")).status).toBe(404);
  }, 60_000);

  test("registers each organization with its rows' identifiers; a second run appends nothing", async () => {
    const first = await run(["import", fixture("organizations.csv")]);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).not.toContain("\r"); // no progress bar when stdout is not a terminal
    expect(first.stdout.split("\n").at(-1)).toBe("3 organization(s): 3 registered, 5 identifier(s) added, 0 unchanged; 0 identifier(s) owned by another organization, 0 refused");
    expect(await identifiersOf("northwind")).toEqual(["domain=northwind-traders.example", "domain=northwind.example", "saml_issuer=https://sts.windows.net/00000000-0000-4000-8000-000000000001/"]);
    expect(await identifiersOf("contoso")).toEqual(["domain=contoso.example", "oidc_issuer=https://login.contoso.example"]);
    expect((await api.api("GET", "/v1/organizations/fabrikam")).body).toMatchObject({ name: "Fabrikam", identifiers: [] });

    const events = await api.eventCount();
    const second = await run(["import", fixture("organizations.csv"), "--json"]);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).summary).toMatchObject({ organizations: 3, registered: 0, identifiersAdded: 0, unchanged: 3, conflicts: 0, failed: 0 });
    expect(await api.eventCount()).toBe(events);
  }, 60_000);

  test("an existing organization gets only its missing identifiers; one owned by another organization is reported, not fatal", async () => {
    expect((await api.api("POST", "/v1/organizations", { id: "vandelay", name: "Vandelay", identifiers: [{ kind: "domain", value: "vandelay.example" }] })).status).toBe(201);
    expect((await api.api("POST", "/v1/organizations", { id: "kramerica", name: "Kramerica", identifiers: [{ kind: "domain", value: "shared.example" }] })).status).toBe(201);
    const file = scratch.write("partial.csv", ["id,name,kind,value", "vandelay,Vandelay,domain,VANDELAY.example", "vandelay,,domain,shared.example", "vandelay,,connection,vandelay-saml", "pendant,Pendant Publishing,domain,pendant.example"].join("\n"));
    const before = await api.eventCount();
    const answer = await run(["import", file]);
    expect(answer.code).toBe(1); // something was left undone
    expect(answer.stdout).toContain("vandelay: linked connection=vandelay-saml");
    expect(answer.stdout).toContain("vandelay: domain=shared.example belongs to kramerica: not linked");
    expect(answer.stdout).toContain("pendant: registered with domain=pendant.example");
    expect(await identifiersOf("vandelay")).toEqual(["connection=vandelay-saml", "domain=vandelay.example"]);
    expect(await identifiersOf("kramerica")).toEqual(["domain=shared.example"]);
    expect(await api.eventCount()).toBe(before + 2);
  }, 60_000);

  test("a file with a bad row is refused whole (exit 65), each problem named by its line, and nothing is sent", async () => {
    const file = scratch.write("bad.csv", ["id,name,kind,value", "good,Good,domain,good.example", "Bad Id,Bad,domain,bad.example", "worse,Worse,domain,https://worse.example/", "half,Half,domain,"].join("\n"));
    const before = await api.eventCount();
    const answer = await run(["import", file]);
    expect(answer.code).toBe(65);
    expect(answer.stdout).toBe("");
    const lines = answer.stderr.split("\n");
    expect(lines).toContainEqual(expect.stringMatching(/line 3: "Bad Id": an organization id is/));
    expect(lines).toContainEqual(expect.stringMatching(/line 4: worse: domain=https:\/\/worse\.example\/: /));
    expect(lines).toContainEqual(expect.stringMatching(/line 5: give both kind and value/));
    expect(lines.at(-1)).toBe("ssomig: import: 3 problem(s) in the input; nothing was sent");
    expect(await api.eventCount()).toBe(before);
  }, 60_000);

  test("a file that is not UTF-8 (a Latin-1 export) is refused (exit 65), never imported with U+FFFD", async () => {
    const file = join(scratch.path, "latin1.csv");
    await Bun.write(file, new Uint8Array([...new TextEncoder().encode("id,name,kind,value\nmuller,M"), 0xfc, ...new TextEncoder().encode("ller AG,domain,muller.example\n")]));
    const before = await api.eventCount();
    const answer = await run(["import", file]);
    expect(answer.code).toBe(65);
    expect(answer.stderr).toContain("not UTF-8 text");
    expect(await api.eventCount()).toBe(before);
  }, 60_000);

  test("CSV on standard input (`import -`) is read as CSV without --format; JSON on stdin is still JSON", async () => {
    const csv = await ssomig(["import", "-", "--dry-run"], api.env, "id,name,kind,value\nstdin-csv,Stdin CSV,domain,stdin-csv.example\n");
    expect(csv).toMatchObject({ code: 0, stderr: "" });
    expect(csv.stdout).toContain("stdin-csv: would be registered with domain=stdin-csv.example");
    const json = await ssomig(["import", "-", "--dry-run"], api.env, JSON.stringify([{ id: "stdin-json", name: "Stdin JSON", identifiers: [] }]));
    expect(json).toMatchObject({ code: 0, stderr: "" });
    expect(json.stdout).toContain("stdin-json: would be registered");
  }, 60_000);
});

describe("the progress bar", () => {
  test("is drawn on a terminal (a pseudo-terminal from util-linux's script), then cleared before the summary", async () => {
    const file = scratch.write("tty.csv", ["id,name,kind,value", "ttyone,TTY One,domain,ttyone.example", "ttytwo,TTY Two,domain,ttytwo.example"].join("\n"));
    const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
    const command = [process.execPath, join(import.meta.dir, "../../cli/ssomig.ts"), "import", file].map(quote).join(" ");
    const child = Bun.spawn(["script", "-qec", command, "/dev/null"], { env: { PATH: process.env.PATH ?? "", ...api.env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [output, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    expect(code).toBe(0);
    expect(output).toContain(`\r\x1b[2K[${".".repeat(30)}] 0/2 ttyone`);
    expect(output).toContain(`[${"#".repeat(15)}${".".repeat(15)}] 1/2 ttytwo`);
    expect(output).toContain("2 organization(s): 2 registered");
  }, 60_000);
});

describe("ssomig import FILE.json and the legacy providers' exports", () => {
  test("JSON in the shape `orgs list --json` prints", async () => {
    const answer = await run(["import", fixture("organizations.json")]);
    expect(answer.code).toBe(0);
    expect(await identifiersOf("tailspin")).toEqual(["connection=tailspin-okta", "domain=tailspin.example"]);
    expect(await identifiersOf("wingtip")).toEqual(["client_id=wingtip-m2m-client"]);
    const events = await api.eventCount();
    expect((await run(["import", fixture("organizations.json")])).code).toBe(0);
    expect(await api.eventCount()).toBe(events);
  }, 60_000);

  test("Auth0's connections list: one organization per enterprise connection, the IdP's entity ID from its metadata", async () => {
    const answer = await run(["import", fixture("auth0-connections.json")]);
    expect(answer.code).toBe(0);
    expect(answer.stdout).toContain("skipped: ");
    expect(answer.stdout).toContain("2 connection(s) skipped");
    expect((await api.api("GET", "/v1/organizations/adatum-saml")).body.name).toBe("Adatum Corporation");
    expect(await identifiersOf("adatum-saml")).toEqual(["connection=adatum-saml", "domain=adatum-corp.example", "domain=adatum.example", "saml_issuer=http://www.okta.com/exkadatum000000000"]);
    expect(await identifiersOf("litware-oidc")).toEqual(["connection=litware-oidc", "domain=litware.example", "oidc_issuer=https://login.litware.example"]);
    expect((await api.api("GET", "/v1/organizations/google-oauth2")).status).toBe(404);
  }, 60_000);

  test("Cognito's describe-identity-provider output: metadata in the file, metadata at a URL, and OIDC", async () => {
    const metadata = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => new Response(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exkfourthcoffee0000"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>`, { headers: { "content-type": "application/samlmetadata+xml" } }),
    });
    try {
      const byUrl = scratch.write(
        "cognito-url.json",
        JSON.stringify({ IdentityProvider: { UserPoolId: "us-east-1_EXAMPLE11", ProviderName: "fourthcoffee", ProviderType: "SAML", ProviderDetails: { MetadataURL: `http://127.0.0.1:${metadata.port}/app/metadata` }, AttributeMapping: {}, IdpIdentifiers: ["fourthcoffee.example"] } }),
      );
      const answer = await run(["import", fixture("cognito-saml-metadata-file.json"), fixture("cognito-oidc.json"), byUrl]);
      expect(answer.code).toBe(0);
      expect(answer.stdout).toContain('proseware-saml: note: IdpIdentifier "ProsewareIdP" is not a domain: left out');
      expect(await identifiersOf("proseware-saml")).toEqual(["connection=proseware-saml", "domain=proseware.example", "saml_issuer=https://sts.windows.net/00000000-0000-4000-8000-0000000000aa/"]);
      expect(await identifiersOf("lucerne-oidc")).toEqual(["connection=lucerne-oidc", "domain=lucerne.example", "oidc_issuer=https://idp.lucerne.example/oauth2/default"]);
      expect(await identifiersOf("fourthcoffee")).toEqual(["connection=fourthcoffee", "domain=fourthcoffee.example", "saml_issuer=http://www.okta.com/exkfourthcoffee0000"]);
    } finally {
      metadata.stop(true);
    }
  }, 60_000);
});
