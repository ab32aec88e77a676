import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { demoUpstream } from "../../services/demo-upstreams/app.ts";
import { eventually } from "../support/eventually.ts";
import { embeddedApi, ssomig } from "./support.ts";

/**
 * The safety loop from the CLI (issue 14 §2): `orgs health`, `health`, `unmatched`, `orgs preflight`
 * and `orgs migrate --require-preflight --no-guard`, as real processes against the embedded
 * default, whose routers ship their login outcomes in process every OUTCOME_FLUSH_MS.
 */
let api: Awaited<ReturnType<typeof embeddedApi>>;
const IDP = "https://idp.example.net/sso";
const APP = "https://app.example.com/callback";

beforeAll(async () => {
  api = await embeddedApi({ env: { OUTCOME_FLUSH_MS: "50" }, provider: { preflight: { clientId: "ssomig-preflight", redirectUri: APP } } });
  // Both providers send an authorize request on to the IdP, except for `login_hint=denied@...`, which
  // they send back to the application with an error (a failed login), and the target does not know globex.com yet.
  let targetKnowsGlobex = false;
  const provider = (name: string) => {
    const echo = demoUpstream(name);
    return (request: Request) => {
      const url = new URL(request.url);
      if (url.pathname !== "/authorize") return echo(request);
      const hint = url.searchParams.get("login_hint") ?? "";
      if (hint.startsWith("denied@")) return new Response(null, { status: 302, headers: { location: `${APP}?error=access_denied&state=x` } });
      if (name === "target" && hint.endsWith("@globex.com") && !targetKnowsGlobex) return new Response(null, { status: 302, headers: { location: `${APP}?error=invalid_request` } });
      return new Response(null, { status: 302, headers: { location: IDP } });
    };
  };
  api.upstreams[0]!.handle(provider("legacy"));
  api.upstreams[1]!.handle(provider("target"));
  teachTarget = () => void (targetKnowsGlobex = true);
}, 60_000);
afterAll(() => api?.stop());
let teachTarget = () => {};

const run = (args: string[], env: Record<string, string> = {}) => ssomig(args, { ...api.env, ...env });
const parse = (text: string) => JSON.parse(text) as any;
/** A browser's first request of a login, through the router on the auth domain. */
const authorize = async (query: string) => (await fetch(`${api.routerUrl}/authorize?client_id=app&${query}`, { redirect: "manual" })).status;

describe("login health from the CLI", () => {
  test("orgs health: per provider, before and after the last migration, last failures; health: the fleet", async () => {
    expect((await run(["orgs", "register", "acme", "--name", "Acme", "--identifier", "domain=acme.com", "--identifier", "connection=acme-okta"])).code).toBe(0);
    expect(await authorize("login_hint=jane@acme.com")).toBe(302);
    expect(await authorize("login_hint=denied@acme.com")).toBe(302);

    const report = await eventually(
      async () => parse((await run(["orgs", "health", "acme", "--json"])).stdout),
      (r) => r.providers?.[0]?.started === 2 && r.providers[0].failed === 1,
      15_000,
    );
    expect(report).toMatchObject({ organizationId: "acme", provider: "legacy", lastMigration: null });
    expect(report.providers).toEqual([expect.objectContaining({ provider: "legacy", started: 2, failed: 1, failedByCode: { access_denied: 1 } })]);
    expect(report.lastFailures).toEqual([expect.objectContaining({ provider: "legacy", code: "access_denied", count: 1 })]);

    const table = await run(["orgs", "health", "acme"]);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    const lines = table.stdout.split("\n");
    expect(lines).toContain("organization: acme");
    expect(lines.find((l) => l.startsWith("PROVIDER"))).toMatch(/^PROVIDER\s+STARTED\s+SUCCEEDED\s+FAILED\s+ABANDONED\s+IN FLIGHT\s+SUCCESS\s+FAILURES$/);
    // One failure, one flow still in flight (its pin has not expired): 0 of 1 finished succeeded.
    expect(lines).toContainEqual(expect.stringMatching(/^legacy\s+2\s+0\s+1\s+0\s+1\s+0\.0%\s+access_denied=1$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\s+\S+Z\s+legacy\s+access_denied\s+1$/));

    // After a migration, the table splits the logins at it.
    expect((await run(["orgs", "migrate", "acme", "--reason", "wave 1", "--no-guard"])).code).toBe(0);
    expect(await authorize("login_hint=joe@acme.com")).toBe(302);
    const after = await eventually(
      async () => parse((await run(["orgs", "health", "acme", "--json"])).stdout),
      (r) => r.lastMigration?.after?.some((p: any) => p.provider === "target" && p.started === 1),
      15_000,
    );
    expect(after.lastMigration).toMatchObject({ from: "legacy", to: "target", before: [expect.objectContaining({ provider: "legacy", started: 2 })] });
    const split = (await run(["orgs", "health", "acme"])).stdout;
    expect(split).toMatch(/^last migration: legacy -> target at \S+ \(log position \d+\)$/m);
    expect(split).toMatch(/^before:\n\s+PROVIDER[^\n]+\n\s+legacy\s+2\s/m);
    expect(split).toMatch(/^after:\n\s+PROVIDER[^\n]+\n\s+target\s+1\s/m);

    const fleet = parse((await run(["health", "--json"])).stdout);
    expect(fleet.organizations).toContainEqual(expect.objectContaining({ organizationId: "acme", started: 3, failed: 1 }));
    expect(fleet.providers.map((p: any) => p.provider).sort()).toEqual(["legacy", "target"]);
    const fleetTable = (await run(["health", "--limit", "5"])).stdout.split("\n");
    expect(fleetTable).toContainEqual(expect.stringMatching(/^PROVIDER\s+ORGS\s+STARTED\s+SUCCEEDED\s+FAILED\s+ABANDONED\s+IN FLIGHT\s+SUCCESS\s+FAILURES$/));
    expect(fleetTable).toContainEqual(expect.stringMatching(/^ORG\s+PROVIDERS\s+STARTED\s+SUCCEEDED\s+FAILED\s+ABANDONED\s+SUCCESS$/));
    expect(fleetTable).toContainEqual(expect.stringMatching(/^acme\s+legacy, target\s+3\s+0\s+1\s+0\s+0\.0%$/));
    expect(await run(["health", "--since", "2026-11-30T10:00:00Z", "--limit", "0"])).toMatchObject({ code: 2, stderr: 'ssomig: --limit must be a positive integer, got "0"' });
  }, 90_000);

  test("unmatched: the most frequent first, with how to link one; linking clears it", async () => {
    for (let i = 0; i < 2; i++) expect(await authorize("login_hint=bob@initech.example")).toBe(302);
    expect(await authorize("login_hint=eve@hooli.example")).toBe(302);
    const listed = await eventually(
      async () => parse((await run(["unmatched", "--kind", "domain", "--json"])).stdout),
      (r) => r.unmatched?.length === 2 && r.unmatched[0].count === 2,
      15_000,
    );
    expect(listed.unmatched.map((u: any) => [u.kind, u.value, u.count, u.requestKind, u.provider])).toEqual([
      ["domain", "initech.example", 2, "authorize", "legacy"],
      ["domain", "hooli.example", 1, "authorize", "legacy"],
    ]);
    expect(listed.unmatched[0].link).toEqual({ kind: "domain", value: "initech.example" });

    const table = await run(["unmatched", "--kind", "domain"]);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    const lines = table.stdout.split("\n");
    expect(lines[0]).toMatch(/^KIND\s+VALUE\s+REQUEST\s+PROVIDER\s+COUNT\s+FIRST SEEN\s+LAST SEEN$/);
    expect(lines[1]).toMatch(/^domain\s+initech\.example\s+authorize\s+legacy\s+2\s+\S+Z\s+\S+Z$/);
    expect(table.stdout).toContain(`-d '{"kind":"domain","value":"initech.example"}' ${api.url}/v1/organizations/ORG_ID/identifiers`);
    expect(table.stdout).toContain("ssomig orgs register ORG_ID --name NAME --identifier 'domain=initech.example'");

    // Registering an organization with it (what the hint says) clears it.
    expect((await run(["orgs", "register", "initech", "--name", "Initech", "--identifier", "domain=initech.example"])).code).toBe(0);
    expect(parse((await run(["unmatched", "--json", "--limit", "10"])).stdout).unmatched.map((u: any) => u.value)).toEqual(["hooli.example"]);
    expect(await run(["unmatched", "--kind", "email"])).toEqual({ code: 1, stdout: "", stderr: expect.stringMatching(/^ssomig: 400 invalid_request: kind must be one of [^\n]+$/) });
    expect((await run(["unmatched", "--kind", "saml_issuer"])).stdout).toBe("no unmatched saml_issuer seen");
  }, 90_000);
});

describe("preflight before a migration, from the CLI", () => {
  test("a failing preflight exits 1 with the reason per identifier; --require-preflight refuses until one passes", async () => {
    expect((await run(["orgs", "register", "globex", "--name", "Globex", "--identifier", "domain=globex.com", "--identifier", "connection=globex-okta"])).code).toBe(0);
    const refused = await run(["orgs", "migrate", "globex", "--reason", "wave 2", "--require-preflight"]);
    expect(refused).toEqual({ code: 1, stdout: "", stderr: expect.stringMatching(/^ssomig: 409 preflight_required: [^\n]+$/) });

    const failed = await run(["orgs", "preflight", "globex"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe("ssomig: preflight of globex on target failed (1 of 2 checks)");
    const lines = failed.stdout.split("\n");
    expect(lines[0]).toMatch(/^preflight of globex on target: FAILED \(\S+Z, log position \d+\)$/);
    expect(lines[2]).toMatch(/^KIND\s+VALUE\s+RESULT\s+WHY$/);
    expect(lines).toContainEqual(expect.stringMatching(/^domain\s+globex\.com\s+FAILED\s+error redirect: invalid_request$/));
    expect(lines).toContainEqual(expect.stringMatching(/^connection\s+globex-okta\s+passed\s+redirects to the IdP at idp\.example\.net$/));

    teachTarget();
    const passed = await run(["orgs", "preflight", "globex", "--to", "target", "--json"]);
    expect(passed).toMatchObject({ code: 0, stderr: "" });
    expect(parse(passed.stdout)).toMatchObject({ organizationId: "globex", provider: "target", passed: true, checks: [{ passed: true }, { passed: true }], position: expect.any(Number) });

    const migrated = await run(["orgs", "migrate", "globex", "--reason", "wave 2", "--require-preflight", "--no-guard", "--json"]);
    expect(migrated).toMatchObject({ code: 0, stderr: "" });
    expect(parse(migrated.stdout)).toMatchObject({ id: "globex", provider: "target" });
    const history = parse((await run(["orgs", "events", "globex", "--json"])).stdout).events;
    expect(history.map((e: any) => [e.type, e.data.passed ?? e.data.guard])).toEqual([
      ["OrganizationRegistered", undefined],
      ["PreflightRecorded", false],
      ["PreflightRecorded", true],
      ["OrganizationMigrated", false],
    ]);
    expect(await run(["orgs", "preflight", "globex", "--to", "nowhere"])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^ssomig: \d{3} unknown_provider: [^\n]+$/) });
  }, 90_000);
});

describe("errors and help", () => {
  test("an unknown organization: exit 1, `404 organization_not_found` on stderr, nothing on stdout", async () => {
    for (const args of [["orgs", "health", "nobody"], ["orgs", "preflight", "nobody"], ["orgs", "health", "nobody", "--json"]]) {
      expect({ args, ...(await run(args)) }).toEqual({ args, code: 1, stdout: "", stderr: expect.stringMatching(/^ssomig: 404 organization_not_found: [^\n]+$/) });
    }
    expect(await run(["orgs", "health", "acme", "--since", "yesterday"])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^ssomig: 400 \w+: [^\n]*since[^\n]*$/) });
  }, 60_000);

  test("each new command explains itself", async () => {
    const expected: [string[], string][] = [
      [["orgs", "health"], "--since <time>"],
      [["health"], "--limit <n>"],
      [["unmatched"], "--kind <kind>"],
      [["orgs", "preflight"], "--to <provider>"],
      [["orgs", "migrate"], "--no-guard"],
      [["orgs", "migrate"], "--require-preflight"],
    ];
    for (const [path, option] of expected) {
      const help = await ssomig([...path, "--help"], {});
      expect({ path, code: help.code, stderr: help.stderr }).toEqual({ path, code: 0, stderr: "" });
      expect(help.stdout).toStartWith(`Usage: ssomig ${path.join(" ")} `);
      expect(help.stdout).toContain(option);
    }
  }, 60_000);
});
