import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { eventually } from "../support/eventually.ts";
import { launchChromium, seriousViolations, startConsoleWorld, type ConsoleWorld } from "./world.ts";

setDefaultTimeout(60_000);

let world: ConsoleWorld;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  world = await startConsoleWorld();
  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
  for (const [id, domain] of [["acme", "acme.com"], ["globex", "globex.example"], ["initech", "initech.example"]] as const) {
    const registered = await world.call("POST", "/v1/organizations", { id, name: `${id[0]!.toUpperCase()}${id.slice(1)} Corp`, identifiers: [{ kind: "domain", value: domain }], tags: ["tier:enterprise"] });
    expect(registered.status).toBe(201);
  }
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

describe("the console in a real browser", () => {
  test("signs in with the one-time link printed at start; the session cookie is HttpOnly, Secure, SameSite=Strict", async () => {
    await page.goto(world.signInLink);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${world.api}/console`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Overview");
    expect(await page.getByText("Signed in as").textContent()).toContain("console-admin@embedded");
    const cookies = await context.cookies(world.api);
    expect(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite, path: c.path }))).toEqual([
      { name: "__Host-ssomig-console", httpOnly: true, secure: true, sameSite: "Strict", path: "/" },
    ]);
    expect(await seriousViolations(page)).toEqual([]);
  });

  test("finds an organization by an identifier, migrates it with a reason, and the route reaches the router", async () => {
    expect(await world.routedTo("jane@acme.com")).toBe("legacy");
    await page.getByRole("link", { name: "Organizations" }).click();
    await page.getByLabel("Id, name or identifier").fill("acme.com");
    await page.getByRole("button", { name: "Search" }).click();
    const rows = page.locator("main table tbody tr");
    expect(await rows.count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole("link", { name: "acme", exact: true }).click();
    expect(await page.locator("#current-provider").textContent()).toBe("legacy");
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel("Reason", { exact: true }).first().fill("console test: wave 1");
    await page.getByRole("button", { name: "Migrate…" }).click();
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Migrate acme?");
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole("button", { name: "Confirm: migrate" }).click();

    await page.waitForURL(/\/console\/organizations\/acme\?done=/);
    expect(await page.getByRole("status").textContent()).toMatch(/^Done: Migrated from legacy to target \(log position \d+\)\.$/);
    expect(await page.locator("#current-provider").textContent()).toBe("target");
    const newest = page.locator("#timeline tbody tr").first();
    const cells = await newest.locator("td").allTextContents();
    expect(cells.slice(1, 4)).toEqual(["Migrated from legacy to target", "console-admin@embedded", "console test: wave 1"]);
    await eventually(() => world.routedTo("jane@acme.com"), (p) => p === "target", 5000);
  });

  test("rolls it back with a reason, and the router follows", async () => {
    await page.getByLabel("Reason", { exact: true }).nth(1).fill("console test: users report errors");
    await page.getByRole("button", { name: "Roll back…" }).click();
    await page.getByRole("button", { name: "Confirm: roll back" }).click();
    await page.waitForURL(/\/console\/organizations\/acme\?done=/);
    expect(await page.locator("#current-provider").textContent()).toBe("legacy");
    const cells = await page.locator("#timeline tbody tr").first().locator("td").allTextContents();
    expect(cells.slice(1, 4)).toEqual(["Rolled back from target to legacy", "console-admin@embedded", "console test: users report errors"]);
    await eventually(() => world.routedTo("jane@acme.com"), (p) => p === "legacy", 5000);
    // The API shows the same two events, with the operator as actor.
    const events = (await world.call("GET", "/v1/organizations/acme/events")).body.events as { type: string; actor: string; idempotencyKey: string | null }[];
    expect(events.slice(-2).map((e) => [e.type, e.actor])).toEqual([
      ["OrganizationMigrated", "console-admin@embedded"],
      ["OrganizationRolledBack", "console-admin@embedded"],
    ]);
    expect(events.slice(-2).every((e) => typeof e.idempotencyKey === "string")).toBe(true);
  });

  test("runs a preflight with a reason, and records it in the timeline", async () => {
    await page.getByLabel("Reason", { exact: true }).last().fill("console test: before wave 2");
    await page.getByRole("button", { name: "Preflight…" }).click();
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Preflight acme?");
    await page.getByRole("button", { name: "Confirm: preflight" }).click();
    await page.waitForURL(/\/console\/organizations\/acme\?done=/);
    expect(await page.getByRole("status").textContent()).toMatch(/^Done: Preflight of target: (passed|failed) /);
    const cells = await page.locator("#timeline tbody tr").first().locator("td").allTextContents();
    expect(cells[1]).toStartWith("Preflight of target:");
    expect(cells.slice(2, 4)).toEqual(["console-admin@embedded", "console test: before wave 2"]);
  });

  test("the open timeline shows an event appended elsewhere without a reload (live.js)", async () => {
    const before = await page.evaluate(() => performance.getEntriesByType("navigation").length + ":" + performance.timeOrigin);
    const tagged = await world.call("PUT", "/v1/organizations/acme/tags", { tags: ["tier:enterprise", "wave:2"] });
    expect(tagged.status).toBe(200);
    await page.locator("#timeline tbody tr").first().getByText("Tags set: tier:enterprise, wave:2").waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => performance.getEntriesByType("navigation").length + ":" + performance.timeOrigin)).toBe(before);
  });

  test("the audit log filters by organization and exports what it shows", async () => {
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByLabel("Organization id").fill("acme");
    await page.getByRole("button", { name: "Filter" }).click();
    expect(await page.locator("main table tbody tr").count()).toBe(5);
    expect(await seriousViolations(page)).toEqual([]);
    const exported = await page.request.get(`${world.api}/console/audit/export?org=acme`);
    expect(exported.headers()["content-type"]).toBe("application/x-ndjson");
    expect((await exported.text()).trim().split("\n").map((line) => JSON.parse(line).type)).toEqual(["OrganizationRegistered", "OrganizationMigrated", "OrganizationRolledBack", "PreflightRecorded", "OrganizationTagsSet"]);
  });

  test("links an unregistered IdP seen in unmatched traffic to an organization, and its traffic follows it", async () => {
    expect((await world.call("POST", "/v1/organizations/globex/migrate", { reason: "globex moves first" })).status).toBe(200);
    // Traffic for an IdP nobody registered shows up as unmatched once the router ships its counts.
    expect(await world.routedTo("someone@unknown-idp.example")).toBe("legacy");
    await page.getByRole("link", { name: "Unmatched traffic", exact: true }).click();
    const row = page.locator("main table tbody tr", { hasText: "unknown-idp.example" });
    // The router ships its counts every few seconds: the page is looked at again until the row is there.
    await eventually(async () => (await page.reload(), await row.count()), (n) => n === 1, 20_000);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel("Organization id for domain unknown-idp.example").fill("globex");
    await row.getByRole("button", { name: "Link" }).click();
    await page.waitForURL(/\/console\/unmatched\?linked=/);
    expect(await page.getByRole("status").textContent()).toBe("Linked domain unknown-idp.example to globex.");
    expect(await page.locator("main table tbody tr", { hasText: "unknown-idp.example" }).count()).toBe(0);
    await eventually(() => world.routedTo("someone@unknown-idp.example"), (p) => p === "target", 5000);
  });

  test("pauses a running wave with a reason and a confirmation; the wave's history names the operator", async () => {
    const planned = await world.call("POST", "/v1/waves", { id: "console-wave", name: "Console wave", organizations: ["initech"], batchSize: 1, soakMinutes: 30 });
    expect(planned.status).toBe(201);
    await page.getByRole("link", { name: "Waves", exact: true }).click();
    const row = page.locator("main table tbody tr", { hasText: "console-wave" });
    expect(await seriousViolations(page)).toEqual([]);
    await row.getByLabel("Reason").fill("console test: customer IdP change freeze");
    await row.getByRole("button", { name: "Pause…" }).click();
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Pause wave console-wave?");
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole("button", { name: "Confirm: pause" }).click();
    await page.waitForURL(/\/console\/waves\?done=console-wave$/);
    expect(await page.getByRole("status").textContent()).toBe("Wave console-wave is now paused.");
    const history = await world.call("GET", "/v1/waves/console-wave/events");
    expect(history.body.events.at(-1)).toMatchObject({ type: "WavePaused", actor: "console-admin@embedded", reason: "console test: customer IdP change freeze" });
  });

  test("the overview, unmatched traffic and waves pages have no serious accessibility violations", async () => {
    for (const [link, heading] of [["Overview", "Overview"], ["Unmatched traffic", "Unmatched traffic"], ["Waves", "Waves"]] as const) {
      await page.getByRole("link", { name: link, exact: true }).click();
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(heading);
      expect(await seriousViolations(page)).toEqual([]);
    }
  });
});
