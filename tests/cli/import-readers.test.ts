import { describe, expect, test } from "bun:test";
import { apiClient } from "../../cli/api-client.ts";
import { loadCliSettings } from "../../cli/cli-settings.ts";
import { CliFailure } from "../../cli/exit-codes.ts";
import { readAuth0Connections } from "../../cli/import/auth0.ts";
import { ImportFileError } from "../../cli/import/desired.ts";
import { planImport } from "../../cli/import/plan.ts";
import { readCsv } from "../../cli/import/read-csv.ts";

/** The import's pure parts and the client's retry, with fakes for the network (no API process needed). */
/** The problems an ImportFileError carries; fails the test when nothing is thrown. */
function problemsOf(work: () => unknown): string[] {
  try {
    work();
  } catch (error) {
    if (error instanceof ImportFileError) return error.problems;
    throw error;
  }
  throw new Error("expected an ImportFileError");
}

const metadata = (entityId: string) => `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>`;

describe("Auth0 connections", () => {
  test("a samlp connection with only a metadataUrl: the entity ID is fetched; an unreadable URL is a note, not a failure", async () => {
    const asked: string[] = [];
    const fetcher = async (url: string) => {
      asked.push(url);
      return url.includes("good") ? new Response(metadata("https://idp.good.example/entity")) : new Response("gone", { status: 404 });
    };
    const { organizations } = await readAuth0Connections(
      [
        { name: "good-saml", strategy: "samlp", options: { metadataUrl: "https://idp.good.example/metadata", entityId: "urn:auth0:tenant:good-saml" } },
        { name: "Gone_SAML", strategy: "samlp", options: { metadataUrl: "https://idp.gone.example/metadata" } },
      ],
      "export.json",
      fetcher,
    );
    expect(asked).toEqual(["https://idp.good.example/metadata", "https://idp.gone.example/metadata"]);
    expect(organizations[0]).toMatchObject({ id: "good-saml", identifiers: [{ kind: "connection", value: "good-saml" }, { kind: "saml_issuer", value: "https://idp.good.example/entity" }], notes: [] });
    expect(organizations[1]).toMatchObject({ id: "gone_saml", identifiers: [{ kind: "connection", value: "Gone_SAML" }], notes: ["no saml_issuer: its metadata URL answered 404"] });
  });
});

describe("CSV", () => {
  test("a header that is not id,name,kind,value is refused, naming what is missing", () => {
    expect(problemsOf(() => readCsv("id,name,type,value\na,A,domain,a.example\n", "f.csv"))).toEqual(["f.csv: the first row must name the columns id,name,kind,value (missing kind)"]);
  });

  test("two names for one organization, and a quoted value with a comma", () => {
    const { organizations, problems } = readCsv('id,name,kind,value\na,"A, Inc.",domain,a.example\na,Other,domain,b.example\n', "f.csv");
    expect(organizations[0]!.name).toBe("A, Inc.");
    expect(problems).toEqual(['f.csv line 3: a is named "A, Inc." on an earlier row and "Other" here']);
  });
});

describe("the import plan", () => {
  const org = (id: string, name: string, domain: string) => ({ id, name, provider: "legacy", rollbackTo: null, version: 1, position: 1, identifiers: [{ kind: "domain", value: domain }], tags: [] });
  const existing = [org("acme", "Acme", "acme.com"), org("initech", "Initech", "initech.example")];
  test("compares identifiers in their normal form, reports another organization's, and refuses one identity listed twice", () => {
    const steps = planImport(
      [
        { id: "acme", name: "Acme", identifiers: [{ kind: "domain", value: "ACME.com." }, { kind: "connection", value: "acme-saml" }], source: "s", notes: [] },
        { id: "globex", name: "Globex", identifiers: [{ kind: "domain", value: "Initech.Example" }], source: "s", notes: [] },
      ],
      existing,
    );
    expect(steps).toEqual([
      { id: "acme", name: "Acme", source: "s", action: "link", identifiers: [{ kind: "connection", value: "acme-saml" }], conflicts: [], notes: [] },
      { id: "globex", name: "Globex", source: "s", action: "register", identifiers: [], conflicts: [{ identifier: { kind: "domain", value: "initech.example" }, owner: "initech" }], notes: [] },
    ]);
    const twice = () =>
      planImport(
        [
          { id: "a", name: "A", identifiers: [{ kind: "domain", value: "x.example" }], source: "row 2", notes: [] },
          { id: "b", name: "B", identifiers: [{ kind: "domain", value: "X.example" }], source: "row 3", notes: [] },
        ],
        [],
      );
    expect(problemsOf(twice)).toEqual(["row 3: domain=x.example is listed for both a and b"]);
  });
});

describe("the API client", () => {
  test("retries a write whose connection failed with the same Idempotency-Key, and gives up with exit 69", async () => {
    const keys: (string | null)[] = [];
    let failures = 1;
    const fetcher = async (_url: string, init?: RequestInit) => {
      keys.push(new Headers(init?.headers).get("idempotency-key"));
      if (failures-- > 0) throw new TypeError("fetch failed", { cause: { code: "ECONNRESET" } });
      return Response.json({ id: "acme", provider: "target" });
    };
    const settings = loadCliSettings({ SSOMIG_API_URL: "http://api.example:8081/", SSOMIG_TOKEN: "t" });
    expect(settings.apiUrl).toBe("http://api.example:8081");
    const client = apiClient(settings, fetcher);
    expect(await client.json("POST", "/v1/organizations/acme/migrate", { body: { reason: "r" }, idempotencyKey: "k-1" })).toEqual({ id: "acme", provider: "target" });
    expect(keys).toEqual(["k-1", "k-1"]);

    keys.length = 0;
    failures = 10;
    const failure = await client.json("POST", "/v1/organizations/acme/migrate", { body: { reason: "r" }, idempotencyKey: "k-2" }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CliFailure);
    expect((failure as CliFailure).exitCode).toBe(69);
    expect(keys).toEqual(["k-2", "k-2", "k-2"]);

    keys.length = 0;
    failures = 10;
    await client.json("GET", "/v1/organizations").catch(() => undefined);
    expect(keys).toEqual([null]); // a read is not retried
  });
});
