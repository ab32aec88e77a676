import { Option } from "commander";
import type { OrganizationJson } from "../api-client.ts";
import { withJson, json, type CliContext, type CommandModule } from "../context.ts";
import { CliFailure, EXIT } from "../exit-codes.ts";
import { applyStep, outcomeOfPlan, type Outcome } from "../import/apply.ts";
import { looksLikeAuth0, readAuth0Connections } from "../import/auth0.ts";
import { looksLikeCognito, readCognitoProviders } from "../import/cognito.ts";
import { ImportFileError, type DesiredOrganization } from "../import/desired.ts";
import { planImport, type Step } from "../import/plan.ts";
import { progressBar } from "../import/progress.ts";
import { NotUtf8 } from "../utf8.ts";
import { readCsv } from "../import/read-csv.ts";
import { readOrganizationsJson } from "../import/read-json.ts";

const FORMATS = ["auto", "csv", "json", "auth0", "cognito"] as const;
type Format = (typeof FORMATS)[number];
type ImportOptions = { format: Format; dryRun?: boolean; json?: boolean };

/**
 * `ssomig import FILE...`: registers organizations in bulk, idempotently. Every file is read and
 * checked before anything is sent; the API's current organizations decide what is left to do, so
 * a re-run sends nothing.
 */
export const importCommand: CommandModule = (program, ctx) =>
  withJson(
    program
      .command("import")
      .summary("register organizations in bulk (CSV, JSON, Auth0 or Cognito exports); idempotent")
      .description("register organizations in bulk from CSV (id,name,kind,value), JSON, an Auth0 connections export or Cognito describe-identity-provider output; re-running it changes nothing")
      .argument("<files...>", "the files to read"),
  )
    .addOption(new Option("--format <format>", "how to read the files (auto: a .csv file, or text that does not start with { or [, is CSV; JSON is recognised by its shape)").choices(FORMATS).default("auto"))
    .option("--dry-run", "show what would change, send nothing")
    .action(async (files: string[], options: ImportOptions) => {
      const { organizations, skipped, problems } = await readFiles(ctx, files, options.format);
      const existing = problems.length > 0 ? [] : await listAll(ctx);
      let steps: Step[] = [];
      try {
        steps = planImport(organizations, existing);
      } catch (error) {
        if (!(error instanceof ImportFileError)) throw error;
        problems.push(...error.problems);
      }
      if (problems.length > 0) throw invalidFile(ctx, problems);
      const outcomes: Outcome[] = [];
      const bar = ctx.io.isTTY && !options.json && !options.dryRun ? progressBar(ctx.io.write, steps.length) : null;
      for (const step of steps) {
        bar?.update(outcomes.length, step.id);
        outcomes.push(options.dryRun || step.action === "unchanged" ? outcomeOfPlan(step) : await applyStep(ctx.api(), step));
      }
      bar?.clear();
      const summary = summarize(outcomes, skipped.length);
      const incomplete = summary.conflicts > 0 || summary.failed > 0;
      if (options.json) ctx.io.out(json({ dryRun: options.dryRun === true, summary, organizations: outcomes, skipped }));
      else report(ctx, outcomes, skipped, summary, options.dryRun === true);
      ctx.exitCode = incomplete ? EXIT.refused : EXIT.ok;
    });

async function readFiles(ctx: CliContext, files: string[], format: Format) {
  const organizations: DesiredOrganization[] = [];
  const skipped: string[] = [];
  const problems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = file === "-" ? await ctx.io.readStdin() : await ctx.io.readFile(file);
    } catch (error) {
      if (!(error instanceof NotUtf8)) throw new CliFailure(EXIT.usage, `cannot read ${file}`);
      problems.push(`${file}: not UTF-8 text (save it as UTF-8; nothing was sent)`);
      continue;
    }
    try {
      const read = await readOne(ctx, file, text, format);
      organizations.push(...read.organizations);
      skipped.push(...read.skipped);
      problems.push(...read.problems);
    } catch (error) {
      if (!(error instanceof ImportFileError)) throw error;
      problems.push(...error.problems);
    }
  }
  return { organizations, skipped, problems };
}

async function readOne(ctx: CliContext, file: string, text: string, format: Format): Promise<{ organizations: DesiredOrganization[]; skipped: string[]; problems: string[] }> {
  // Auto: a .csv file is CSV, and so is a file or stdin whose text cannot start a JSON document (`id,name,...`).
  if (format === "csv" || (format === "auto" && (/\.csv$/i.test(file) || !/^\s*[[{]/.test(text)))) return { ...readCsv(text, file), skipped: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ImportFileError([`${file}: not valid JSON (${(error as Error).message}); a CSV file needs the .csv extension or --format csv`]);
  }
  const kind = format !== "auto" ? format : looksLikeAuth0(parsed) ? "auth0" : looksLikeCognito(parsed) ? "cognito" : "json";
  if (kind === "auth0") {
    if (!Array.isArray(parsed)) throw new ImportFileError([`${file}: an Auth0 export is the array GET /api/v2/connections returns`]);
    return { ...(await readAuth0Connections(parsed, file, ctx.io.fetch)), problems: [] };
  }
  if (kind === "cognito") {
    if (!looksLikeCognito(parsed)) throw new ImportFileError([`${file}: Cognito's describe-identity-provider output is {"IdentityProvider": {...}} (or an array of them)`]);
    return { ...(await readCognitoProviders(parsed, file, ctx.io.fetch)), problems: [] };
  }
  return { organizations: readOrganizationsJson(parsed, file), skipped: [], problems: [] };
}

/** The file's problems, each on its own line, then the one-line failure (exit 65). */
function invalidFile(ctx: CliContext, problems: string[]): CliFailure {
  for (const problem of problems.slice(0, 50)) ctx.io.err(`ssomig import: ${problem}`);
  if (problems.length > 50) ctx.io.err(`ssomig import: ... and ${problems.length - 50} more`);
  return new CliFailure(EXIT.dataError, `import: ${problems.length} problem(s) in the input; nothing was sent`);
}

async function listAll(ctx: CliContext): Promise<OrganizationJson[]> {
  const all: OrganizationJson[] = [];
  let after: string | null = null;
  do {
    const page: { organizations: OrganizationJson[]; next: string | null } = await ctx.api().json("GET", `/v1/organizations?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ""}`);
    all.push(...page.organizations);
    after = page.next;
  } while (after !== null);
  return all;
}

function summarize(outcomes: Outcome[], skipped: number) {
  const count = (action: Outcome["action"]) => outcomes.filter((o) => o.action === action).length;
  return {
    organizations: outcomes.length,
    registered: count("registered"),
    linkedTo: count("linked"),
    identifiersAdded: outcomes.reduce((n, o) => n + o.added.length, 0),
    unchanged: count("unchanged"),
    conflicts: outcomes.reduce((n, o) => n + o.conflicts.length, 0),
    failed: outcomes.reduce((n, o) => n + o.failures.length, 0),
    skipped,
  };
}

function report(ctx: CliContext, outcomes: Outcome[], skipped: string[], s: ReturnType<typeof summarize>, dryRun: boolean) {
  const would = dryRun ? "would be " : "";
  const out = ctx.io.out;
  for (const o of outcomes) {
    const list = o.added.map((i) => `${i.kind}=${i.value}`).join(", ");
    if (o.action === "registered") out(`${o.id}: ${would}registered${list ? ` with ${list}` : ""}`);
    if (o.action === "linked" && o.added.length > 0) out(`${o.id}: ${dryRun ? "would link" : "linked"} ${list}`);
    for (const c of o.conflicts) out(`${o.id}: ${c.identifier.kind}=${c.identifier.value} belongs to ${c.owner ?? "another organization"}: not linked`);
    for (const f of o.failures) out(`${o.id}: refused: ${f}`);
    for (const n of o.notes) out(`${o.id}: note: ${n}`);
  }
  for (const line of skipped) out(`skipped: ${line}`);
  out(
    `${dryRun ? "dry run (nothing sent): " : ""}${s.organizations} organization(s): ${s.registered} ${would}registered, ` +
      `${s.identifiersAdded} identifier(s) ${dryRun ? "would be " : ""}added, ${s.unchanged} unchanged; ` +
      `${s.conflicts} identifier(s) owned by another organization, ${s.failed} refused${s.skipped ? `, ${s.skipped} connection(s) skipped` : ""}`,
  );
}
