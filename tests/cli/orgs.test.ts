import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "../support/eventually.ts";
import { freePort } from "../support/processes.ts";
import { embeddedApi, ssomig } from "./support.ts";

/** `ssomig orgs ...` and `ssomig events` as real processes against the embedded default in its own process. */
let api: Awaited<ReturnType<typeof embeddedApi>>;
beforeAll(async () => {
  api = await embeddedApi();
}, 60_000);
afterAll(() => api?.stop());

const run = (args: string[], env: Record<string, string> = {}) => ssomig(args, { ...api.env, ...env });
const parse = (text: string) => JSON.parse(text) as any;

describe("an operator runs a migration from the CLI alone", () => {
  test("register, list, show, migrate, roll back and read the history, as tables and as JSON", async () => {
    const registered = await run(["orgs", "register", "acme", "--name", "Acme Corp", "--identifier", "domain=acme.com", "--identifier", "saml_issuer=http://www.okta.com/exkacme"]);
    expect(registered).toMatchObject({ code: 0, stderr: "" });
    expect(registered.stdout).toContain("registered acme on legacy");
    expect(registered.stdout).toMatch(/saml_issuer\s+http:\/\/www\.okta\.com\/exkacme/);

    const table = await run(["orgs", "list"]);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.split("\n");
    expect(header).toMatch(/^ID\s+NAME\s+PROVIDER\s+VERSION\s+TAGS\s+IDENTIFIERS$/);
    expect(row).toMatch(/^acme\s+Acme Corp\s+legacy\s+1\s+-\s+domain=acme\.com, saml_issuer=http:\/\/www\.okta\.com\/exkacme$/);
    const listed = parse((await run(["orgs", "list", "--json"])).stdout);
    expect(listed.organizations.map((o: any) => [o.id, o.provider])).toContainEqual(["acme", "legacy"]);

    const migrated = await run(["orgs", "migrate", "acme", "--reason", "wave 1"]);
    expect(migrated).toMatchObject({ code: 0, stderr: "" });
    expect(migrated.stdout).toMatch(/^acme is on target \(version 2, log position \d+\)$/);
    expect(parse((await run(["orgs", "show", "acme", "--json"])).stdout)).toMatchObject({ id: "acme", provider: "target", rollbackTo: "legacy", version: 2 });
    const shown = await run(["orgs", "show", "acme"]);
    expect(shown.stdout).toMatch(/^provider:\s+target$/m);
    expect(shown.stdout).toMatch(/^rollback to:\s+legacy$/m);

    const rolledBack = parse((await run(["orgs", "rollback", "acme", "--reason", "users report login loops", "--json"])).stdout);
    expect(rolledBack).toMatchObject({ id: "acme", provider: "legacy", version: 3 });
    expect(parse((await run(["orgs", "show", "acme", "--at", "1", "--json"])).stdout)).toMatchObject({ provider: "legacy", version: 1 });

    const history = parse((await run(["orgs", "events", "acme", "--json"])).stdout);
    expect(history.events.map((e: any) => [e.type, e.actor, e.reason])).toEqual([
      ["OrganizationRegistered", "local-admin", null],
      ["OrganizationMigrated", "local-admin", "wave 1"],
      ["OrganizationRolledBack", "local-admin", "users report login loops"],
    ]);
    const historyTable = (await run(["orgs", "events", "acme"])).stdout.split("\n");
    expect(historyTable[0]).toMatch(/^POSITION\s+RECORDED\s+ORG\s+TYPE\s+CHANGE\s+ACTOR\s+REASON$/);
    expect(historyTable[2]).toMatch(/OrganizationMigrated\s+legacy -> target\s+local-admin\s+wave 1$/);
    expect(historyTable[3]).toMatch(/OrganizationRolledBack\s+target -> legacy\s+local-admin\s+users report login loops$/);
  }, 60_000);

  test("the audit log: a table, JSON filtered by type, and NDJSON", async () => {
    await run(["orgs", "register", "initech", "--name", "Initech"]);
    await run(["orgs", "migrate", "initech", "--reason", "wave 2"]);
    const all = await api.eventCount();
    const ndjson = await run(["events", "--ndjson"]);
    expect(ndjson.code).toBe(0);
    const lines = ndjson.stdout.split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(all);
    const migrations = parse((await run(["events", "--type", "OrganizationMigrated", "--json"])).stdout).events;
    expect(migrations.length).toBeGreaterThanOrEqual(1);
    expect(migrations.every((e: any) => e.type === "OrganizationMigrated")).toBe(true);
    expect(migrations.at(-1)).toMatchObject({ organizationId: "initech", reason: "wave 2" });
    const limited = parse((await run(["events", "--org", "initech", "--limit", "1", "--json"])).stdout).events;
    expect(limited.map((e: any) => e.type)).toEqual(["OrganizationRegistered"]);
    const table = (await run(["events", "--org", "initech"])).stdout.split("\n");
    expect(table).toHaveLength(3);
    expect(table[2]).toMatch(/initech\s+OrganizationMigrated\s+legacy -> target\s+local-admin\s+wave 2$/);
  }, 60_000);

  test("events --follow prints events committed after it started, and stops cleanly on Ctrl-C", async () => {
    await run(["orgs", "register", "hooli", "--name", "Hooli"]);
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "../../cli/ssomig.ts"), "events", "--org", "hooli", "--follow", "--json", "--interval", "50"], {
      env: { PATH: process.env.PATH ?? "", ...api.env },
      stdout: "pipe",
      stderr: "pipe",
    });
    const lines: any[] = [];
    void (async () => {
      let buffer = "";
      for await (const chunk of child.stdout) {
        buffer += new TextDecoder().decode(chunk);
        const parts = buffer.split("\n");
        buffer = parts.pop()!;
        lines.push(...parts.filter(Boolean).map((l) => JSON.parse(l)));
      }
    })();
    try {
      await eventually(async () => lines.length, (n) => n === 1, 15_000);
      expect(lines[0]).toMatchObject({ organizationId: "hooli", type: "OrganizationRegistered" });
      expect((await api.api("POST", "/v1/organizations/hooli/migrate", { reason: "followed" })).status).toBe(200);
      await eventually(async () => lines.length, (n) => n === 2, 15_000);
      expect(lines[1]).toMatchObject({ organizationId: "hooli", type: "OrganizationMigrated", reason: "followed" });
      child.kill("SIGINT");
      expect(await child.exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);

  test("a retried write with the same --idempotency-key applies once", async () => {
    const before = await api.eventCount();
    const register = ["orgs", "register", "umbrella", "--name", "Umbrella", "--idempotency-key", "import-umbrella-1", "--json"];
    const first = await run(register);
    const second = await run(register);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(parse(second.stdout)).toEqual(parse(first.stdout));
    const migrate = ["orgs", "migrate", "umbrella", "--reason", "wave 3", "--idempotency-key", "migrate-umbrella-1"];
    expect((await run(migrate)).code).toBe(0);
    expect((await run(migrate)).code).toBe(0);
    expect(await api.eventCount()).toBe(before + 2);
  }, 60_000);
});

describe("errors are one line with the problem code, and documented exit codes", () => {
  test("the API's refusals: exit 1, `ssomig: STATUS code: detail` on stderr, nothing on stdout", async () => {
    await run(["orgs", "register", "globex", "--name", "Globex"]);
    await run(["orgs", "migrate", "globex", "--reason", "wave 1"]);
    const again = await run(["orgs", "migrate", "globex", "--reason", "twice"]);
    expect(again).toEqual({ code: 1, stdout: "", stderr: expect.stringMatching(/^ssomig: 409 already_on_provider: [^\n]*globex[^\n]*$/) });
    expect(await run(["orgs", "show", "nobody"])).toEqual({ code: 1, stdout: "", stderr: expect.stringMatching(/^ssomig: 404 organization_not_found: [^\n]+$/) });
    expect(await run(["orgs", "register", "bad id", "--name", "x"])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^ssomig: 422 invalid_organization_id: [^\n]+$/) });
    expect(await run(["orgs", "list"], { SSOMIG_TOKEN: "not-a-jwt" })).toMatchObject({ code: 1, stderr: expect.stringMatching(/^ssomig: 401 invalid_token: [^\n]+$/) });
    expect(await run(["orgs", "rollback", "globex", "--reason", " "])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^ssomig: 422 reason_required: /) });
  }, 60_000);

  test("usage errors exit 2: a missing --reason, an unknown option, a malformed --identifier, no command", async () => {
    const noReason = await run(["orgs", "migrate", "globex"]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr.split("\n")[0]).toBe("ssomig: required option '--reason <text>' not specified");
    expect((await run(["orgs", "list", "--colour"])).code).toBe(2);
    expect(await run(["orgs", "register", "x", "--name", "X", "--identifier", "acme.com"])).toMatchObject({ code: 2, stderr: expect.stringContaining("KIND=VALUE") });
    expect((await run([])).code).toBe(2);
    expect((await run(["orgs"])).code).toBe(2);
  }, 60_000);

  test("configuration errors exit 78; an API that does not answer exits 69", async () => {
    expect(await run(["orgs", "list"], { SSOMIG_API_URL: "ftp://example.com" })).toEqual({ code: 78, stdout: "", stderr: "ssomig: configuration error: SSOMIG_API_URL: must be an http(s) URL such as http://127.0.0.1:8081" });
    const noToken = await ssomig(["orgs", "list"], { SSOMIG_API_URL: api.url, DATA_DIR: join(api.dir.path, "nowhere") });
    expect(noToken).toMatchObject({ code: 78, stderr: expect.stringMatching(/^ssomig: no API token: set SSOMIG_TOKEN.*nowhere\/admin\.token exists$/) });
    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await run(["orgs", "list"], { SSOMIG_API_URL: closed });
    expect(unreachable).toMatchObject({ code: 69, stdout: "" });
    expect(unreachable.stderr).toMatch(new RegExp(`^ssomig: cannot reach the API at ${closed} \\([^\\n]+\\); is it running\\? \\(SSOMIG_API_URL\\)$`));
    // SSOMIG_TOKEN wins over the token file.
    expect((await run(["orgs", "list"], { SSOMIG_TOKEN: api.token, DATA_DIR: join(api.dir.path, "nowhere") })).code).toBe(0);
  }, 60_000);
});

describe("the same CLI under Node and Deno", () => {
  test("lists, migrates and refuses the same way", async () => {
    await run(["orgs", "register", "soylent", "--name", "Soylent", "--identifier", "domain=soylent.example"]);
    for (const runtime of ["node", "deno"] as const) {
      const listed = await ssomig(["orgs", "list", "--json"], api.env, undefined, runtime);
      expect({ runtime, code: listed.code, stderr: listed.stderr }).toEqual({ runtime, code: 0, stderr: "" });
      expect(parse(listed.stdout).organizations.map((o: any) => o.id)).toContain("soylent");
      const refused = await ssomig(["orgs", "rollback", "soylent", "--reason", "never migrated"], api.env, undefined, runtime);
      expect({ runtime, ...refused }).toEqual({ runtime, code: 1, stdout: "", stderr: expect.stringMatching(/^ssomig: 409 nothing_to_roll_back: [^\n]+$/) });
      expect((await ssomig(["orgs", "migrate", "--help"], {}, undefined, runtime)).stdout).toStartWith("Usage: ssomig orgs migrate ");
    }
  }, 120_000);
});

describe("--help and --version", () => {
  const COMMANDS = [
    [], ["orgs"], ["orgs", "list"], ["orgs", "show"], ["orgs", "register"], ["orgs", "tag"], ["orgs", "migrate"], ["orgs", "rollback"], ["orgs", "events"], ["orgs", "preflight"], ["orgs", "health"],
    ["waves"], ["events"], ["health"], ["unmatched"], ["import"], ["token"], ["route-token"], ["saml"], ["saml", "inspect"], ["saml", "sample"], ["demo-upstreams"],
  ];
  test("every command and subcommand explains itself and exits 0", async () => {
    for (const path of COMMANDS) {
      const help = await ssomig([...path, "--help"], {});
      expect({ path, code: help.code, stderr: help.stderr }).toEqual({ path, code: 0, stderr: "" });
      expect(help.stdout).toStartWith(`Usage: ssomig${path.length ? ` ${path.join(" ")}` : ""} `);
    }
    expect((await ssomig(["orgs", "migrate", "--help"], {})).stdout).toContain("--reason <text>");
    expect((await ssomig(["--help"], {})).stdout).toContain("SSOMIG_API_URL");
  }, 120_000);

  test("--version prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    expect(await ssomig(["--version"], {})).toEqual({ code: 0, stdout: version, stderr: "" });
  });
});
