/**
 * Makes docs/console-overview.png, the README's picture of the console: `bun tests/console/screenshot.ts`
 * (needs the test PostgreSQL and NATS, and /usr/bin/chromium). Not part of the test suite.
 * A small made-up fleet: organizations registered and moved through the API, routed traffic
 * (some from an IdP nobody registered), and a day of login outcomes written to the outcome table.
 */
import { fileURLToPath } from "node:url";
import { openPostgres } from "../../db/postgres.ts";
import { outcomeStore } from "../../db/outcome-store.ts";
import { minuteOf, type OutcomeRow } from "../../shared/login-outcomes.ts";
import { launchChromium, startConsoleWorld } from "./world.ts";

const OUTPUT = fileURLToPath(new URL("../../docs/console-overview.png", import.meta.url));
const COMPANIES = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka", "tyrell", "cyberdyne", "soylent", "aperture"];

const world = await startConsoleWorld();
const browser = await launchChromium();
try {
  for (const [i, id] of COMPANIES.entries()) {
    await world.call("POST", "/v1/organizations", { id, name: `${id[0]!.toUpperCase()}${id.slice(1)}`, identifiers: [{ kind: "domain", value: `${id}.example` }], tags: [i % 3 === 0 ? "tier:enterprise" : "tier:business"] });
  }
  for (const id of COMPANIES.slice(0, 5)) await world.call("POST", `/v1/organizations/${id}/migrate`, { reason: "wave 1: business tier, low traffic" });
  await world.call("POST", "/v1/organizations/hooli/rollback", { reason: "IdP certificate mismatch on the target; retry after the customer rotates it" });
  for (const hint of ["jane@acme.example", "bob@globex.example", "eve@unregistered-idp.example", "sam@unregistered-idp.example"]) await world.routedTo(hint);

  // A day of outcomes: the legacy provider steady, the target a little worse during one hour.
  const db = openPostgres(world.databaseUrl);
  const now = Date.now();
  const rows: OutcomeRow[] = [];
  for (let h = 23; h >= 0; h--) {
    const minute = minuteOf(now - h * 3600_000 - 30 * 60_000);
    for (const [provider, ok, failed] of [["legacy", 180, 3], ["target", 60, h === 6 ? 14 : 1]] as const) {
      rows.push({ organizationId: provider === "legacy" ? "initech" : "acme", provider, minute, outcome: "started", code: "", count: ok + failed, durations: null });
      rows.push({ organizationId: provider === "legacy" ? "initech" : "acme", provider, minute, outcome: "succeeded", code: "", count: ok, durations: null });
      rows.push({ organizationId: provider === "legacy" ? "initech" : "acme", provider, minute, outcome: "failed", code: "access_denied", count: failed, durations: null });
    }
  }
  await outcomeStore(db).record(rows);
  await db.close();

  const page = await (await browser.newContext({ viewport: { width: 1200, height: 1300 } })).newPage();
  await page.goto(world.signInLink);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${world.api}/console`);
  // Unmatched traffic reaches the overview once the router has shipped its counts.
  for (let tries = 0; tries < 100 && !(await page.getByText("unregistered identifier").count()); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    await page.reload();
  }
  await page.screenshot({ path: OUTPUT, fullPage: true });
  console.log(`wrote ${OUTPUT}`);
} finally {
  await browser.close();
  await world.close();
}
