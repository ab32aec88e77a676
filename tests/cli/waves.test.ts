import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "../support/eventually.ts";
import { embeddedApi, ssomig } from "./support.ts";

/**
 * `ssomig waves ...` and the tag commands as real processes against the embedded default in its
 * own process, whose wave runner (real clock, a tick every few seconds) drives the waves.
 */
let api: Awaited<ReturnType<typeof embeddedApi>>;
beforeAll(async () => {
  api = await embeddedApi();
}, 60_000);
afterAll(() => api?.stop());

const run = (args: string[]) => ssomig(args, api.env);
const parse = (text: string) => JSON.parse(text) as any;
const jsonOf = async (args: string[]) => {
  const answer = await run([...args, "--json"]);
  expect(answer).toMatchObject({ code: 0, stderr: "" });
  return parse(answer.stdout);
};
/** The runner ticks on its own: wait until the wave shows what `accept` expects. */
const waveWhen = (id: string, accept: (wave: any) => boolean) => eventually(() => jsonOf(["waves", "show", id]), accept, 20_000);

describe("tags from the CLI", () => {
  test("register with tags, list by tag, add and remove tags", async () => {
    const registered = await run(["orgs", "register", "tagged", "--name", "Tagged", "--tag", "tier:enterprise", "--tag", "region:eu"]);
    expect(registered).toMatchObject({ code: 0, stderr: "" });
    expect(registered.stdout).toMatch(/^tags:\s+region:eu, tier:enterprise$/m);
    await run(["orgs", "register", "untagged", "--name", "Untagged"]);

    const table = (await run(["orgs", "list", "--tag", "tier:enterprise"])).stdout.split("\n");
    expect(table).toHaveLength(2);
    expect(table[1]).toMatch(/^tagged\s+Tagged\s+legacy\s+1\s+region:eu,tier:enterprise\s+-$/);
    expect((await jsonOf(["orgs", "list", "--tag", "tier:enterprise", "--tag", "region:us"])).organizations).toEqual([]);

    expect((await run(["orgs", "tag", "tagged", "--add", "beta", "--remove", "region:eu"])).stdout).toBe("tagged tags: beta, tier:enterprise (version 2)");
    expect(await jsonOf(["orgs", "show", "tagged"])).toMatchObject({ tags: ["beta", "tier:enterprise"], version: 2 });
    expect((await jsonOf(["orgs", "list", "--tag", "beta"])).organizations.map((o: any) => o.id)).toEqual(["tagged"]);
    // The history says who tagged it.
    expect((await jsonOf(["orgs", "events", "tagged"])).events.map((e: any) => [e.type, e.actor])).toEqual([
      ["OrganizationRegistered", "local-admin"],
      ["OrganizationTagsSet", "local-admin"],
    ]);
  }, 60_000);

  test("a bad tag is the API's refusal on one line; no change asked is a usage error", async () => {
    const bad = await run(["orgs", "tag", "untagged", "--add", "Tier:Enterprise"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^ssomig: 422 invalid_tag: "Tier:Enterprise" is not a tag/);
    expect(bad.stderr.split("\n")).toHaveLength(1);
    const nothing = await run(["orgs", "tag", "untagged"]);
    expect(nothing).toMatchObject({ code: 2, stderr: "ssomig: say what to change: --add TAG and/or --remove TAG" });
    expect((await run(["orgs", "tag", "nobody", "--add", "beta"])).stderr).toMatch(/^ssomig: 404 organization_not_found: /);
  }, 30_000);
});

describe("a wave from start to end with the CLI alone", () => {
  test("plan by tag, watch it soak, pause, resume, abort with rollback, read its history", async () => {
    for (const id of ["w-a", "w-b", "w-c"]) expect((await run(["orgs", "register", id, "--name", id, "--tag", "wave:cli"])).code).toBe(0);

    const planned = await run(["waves", "plan", "--id", "cli-wave", "--name", "CLI wave", "--tag", "wave:cli", "--batch-size", "2", "--soak-minutes", "60"]);
    expect(planned).toMatchObject({ code: 0, stderr: "" });
    expect(planned.stdout).toStartWith("planned wave cli-wave: 3 organizations to target in 2 batches");
    expect(planned.stdout).toMatch(/^status:\s+running$/m);

    // The runner starts batch 1 and moves its two organizations; the batch then soaks for an hour.
    const soaking = await waveWhen("cli-wave", (w) => w.organizations.onTarget === 2);
    expect(soaking).toMatchObject({ status: "running", batches: { total: 2, done: 0 }, currentBatch: { batch: 1, organizations: ["w-a", "w-b"] }, organizations: { pending: 1 } });
    const shown = (await run(["waves", "show", "cli-wave"])).stdout;
    expect(shown).toMatch(/^batches:\s+0 of 2 done \(batches of 2, soak 60 min\)$/m);
    expect(shown).toMatch(/^organizations:\s+3: 2 on target, 0 moved back or elsewhere, 1 not started$/m);
    expect(shown).toMatch(/^batch 1 \(w-a, w-b\): started \S+, soaks until \S+ \(\d+ min \d+ s left\)$/m);

    const listed = (await run(["waves", "list"])).stdout.split("\n");
    expect(listed[0]).toMatch(/^ID\s+NAME\s+STATUS\s+TO\s+ORGS\s+BATCHES$/);
    expect(listed).toContainEqual(expect.stringMatching(/^cli-wave\s+CLI wave\s+running\s+target\s+3\s+0\/2$/));

    // Pausing, resuming and aborting need a reason.
    const noReason = await run(["waves", "pause", "cli-wave"]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("required option '--reason <text>' not specified");
    const paused = await run(["waves", "pause", "cli-wave", "--reason", "the support team is at an offsite"]);
    expect(paused).toMatchObject({ code: 0, stderr: "" });
    expect(paused.stdout).toStartWith("wave cli-wave is paused");
    expect(paused.stdout).toMatch(/^operator\s+-\s+the support team is at an offsite$/m);
    const resumed = await jsonOf(["waves", "resume", "cli-wave", "--reason", "they are back"]);
    expect(resumed.status).toBe("running");
    const again = await run(["waves", "resume", "cli-wave", "--reason", "twice"]);
    expect(again).toMatchObject({ code: 1, stdout: "", stderr: "ssomig: 409 wave_not_paused: wave cli-wave is not paused" });

    const aborted = await jsonOf(["waves", "abort", "cli-wave", "--reason", "the target's SAML certificate expires tomorrow", "--rollback"]);
    expect(aborted.status).toBe("aborted");
    // The runner rolls back what the wave migrated, one command each.
    await eventually(async () => (await jsonOf(["orgs", "list", "--tag", "wave:cli"])).organizations.map((o: any) => o.provider), (p: string[]) => p.every((x) => x === "legacy"), 20_000);
    expect((await jsonOf(["orgs", "events", "w-a"])).events.at(-1)).toMatchObject({ type: "OrganizationRolledBack", actor: "wave-runner", reason: "abort of wave cli-wave" });

    const history = await jsonOf(["waves", "events", "cli-wave"]);
    expect(history.events.map((e: any) => [e.type, e.actor, e.reason])).toEqual([
      ["WavePlanned", "local-admin", null],
      ["BatchStarted", "wave-runner", "batch 1"],
      ["WavePaused", "local-admin", "the support team is at an offsite"],
      ["WaveResumed", "local-admin", "they are back"],
      ["WaveAborted", "local-admin", "the target's SAML certificate expires tomorrow"],
    ]);
    const table = (await run(["waves", "events", "cli-wave"])).stdout.split("\n");
    expect(table[0]).toMatch(/^VERSION\s+RECORDED\s+TYPE\s+DETAIL\s+ACTOR\s+REASON$/);
    expect(table[1]).toMatch(/^1\s+\S+\s+WavePlanned\s+3 organizations to target, batches of 2, soak 60 min\s+local-admin\s+-$/);
    expect(table[2]).toMatch(/BatchStarted\s+batch 1: w-a, w-b; soaks until \S+\s+wave-runner\s+batch 1$/);
    expect(table[5]).toMatch(/WaveAborted\s+rolling back what it migrated\s+local-admin\s+the target's SAML certificate expires tomorrow$/);
    expect((await run(["waves", "abort", "cli-wave", "--reason", "again"])).stderr).toMatch(/^ssomig: 409 wave_finished: /);
  }, 90_000);

  test("a wave of listed organizations with no soak runs to the end", async () => {
    for (const id of ["l-1", "l-2", "l-3"]) await run(["orgs", "register", id, "--name", id]);
    const planned = await jsonOf(["waves", "plan", "--name", "Listed", "--org", "l-3", "--org", "l-1", "--org", "l-2", "--batch-size", "2", "--soak-minutes", "0", "--min-success-rate", "90%"]);
    expect(planned).toMatchObject({ status: "running", guard: { minSuccessRate: 0.9 }, batches: { total: 2 } });
    const done = await waveWhen(planned.id, (w) => w.status === "completed");
    expect(done).toMatchObject({ batches: { done: 2 }, organizations: { total: 3, onTarget: 3, pending: 0 }, currentBatch: null });
    const soaked = (await jsonOf(["waves", "events", planned.id])).events.filter((e: any) => e.type === "BatchStarted").map((e: any) => e.data.organizations);
    expect(soaked).toEqual([["l-3", "l-1"], ["l-2"]]);
    expect((await jsonOf(["waves", "plan", "--name", "Unguarded", "--org", "untagged", "--batch-size", "1", "--soak-minutes", "5", "--no-guard"])).guard).toEqual({ minSuccessRate: 0 });
  }, 60_000);

  test("refusals: one line with the problem code and the documented exit code", async () => {
    const nothing = await run(["waves", "plan", "--name", "Empty", "--tag", "nobody:has-this", "--batch-size", "5", "--soak-minutes", "30"]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/^ssomig: 422 wave_selects_nothing: [^\n]+$/);
    expect((await run(["waves", "show", "no-such-wave"])).stderr).toMatch(/^ssomig: 404 wave_not_found: [^\n]+$/);
    const both = await run(["waves", "plan", "--name", "Both", "--org", "l-1", "--tag", "beta", "--batch-size", "5", "--soak-minutes", "30"]);
    expect(both).toMatchObject({ code: 2, stderr: "ssomig: give --org, or --tag/--provider, not both" });
    const neither = await run(["waves", "plan", "--name", "Neither", "--batch-size", "5", "--soak-minutes", "30"]);
    expect(neither.code).toBe(2);
    expect((await run(["waves", "plan", "--name", "Bad", "--org", "l-1", "--batch-size", "0", "--soak-minutes", "30"])).stderr).toBe('ssomig: --batch-size must be a positive integer, got "0"');
    expect((await run(["waves", "plan", "--name", "Bad", "--org", "l-1", "--batch-size", "1", "--soak-minutes", "30", "--min-success-rate", "120%"])).code).toBe(2);
    const unreachable = await ssomig(["waves", "list"], { SSOMIG_API_URL: "http://127.0.0.1:1", SSOMIG_TOKEN: "t" });
    expect(unreachable.code).toBe(69);
    for (const sub of ["list", "show", "plan", "pause", "resume", "abort", "events"]) {
      const help = await run(["waves", sub, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toStartWith(`Usage: ssomig waves ${sub} [options]`);
    }
  }, 60_000);
});
