import { idempotencyKey, withIdempotencyKey, withJson, json, type CommandModule } from "../../context.ts";
import { EXIT } from "../../exit-codes.ts";
import { cell, table } from "../../output.ts";

/** `POST /v1/organizations/{id}/preflight`'s answer (`services/commands/preflight-routes.ts`). */
type PreflightJson = {
  organizationId: string;
  provider: string;
  passed: boolean;
  checks: { kind: string; value: string; passed: boolean; detail: string }[];
  checkedAt: string;
  position: number;
  detail?: string;
};

/** `ssomig orgs preflight ID [--to PROVIDER]`: is the destination ready for this organization? Exit 1 when not. */
export const preflight: CommandModule = (orgs, ctx) =>
  withIdempotencyKey(withJson(orgs.command("preflight").description("check that a provider is ready for an organization before moving it (recorded in its log); exits 1 when a check fails").argument("<id>", "the organization id")))
    .option("--to <provider>", "the provider to check (default: the target provider)")
    .action(async (id: string, options: { to?: string; json?: boolean; idempotencyKey?: string }) => {
      const body = options.to !== undefined ? { to: options.to } : {};
      const result: PreflightJson = await ctx.api().json("POST", `/v1/organizations/${encodeURIComponent(id)}/preflight`, { body, idempotencyKey: idempotencyKey(options) });
      if (options.json) ctx.io.out(json(result));
      else {
        ctx.io.out(`preflight of ${result.organizationId} on ${result.provider}: ${result.passed ? "passed" : "FAILED"} (${result.checkedAt}, log position ${result.position})`);
        if (result.checks.length > 0) {
          ctx.io.out("");
          const rows = result.checks.map((c) => [c.kind, cell(c.value), c.passed ? "passed" : "FAILED", cell(c.detail)]);
          for (const line of table(["KIND", "VALUE", "RESULT", "WHY"], rows)) ctx.io.out(line);
        }
        if (result.detail) ctx.io.out(result.detail);
      }
      if (!result.passed) {
        const failed = result.checks.filter((c) => !c.passed).length;
        ctx.io.err(`ssomig: preflight of ${result.organizationId} on ${result.provider} failed (${result.checks.length === 0 ? "nothing to check" : `${failed} of ${result.checks.length} checks`})`);
        ctx.exitCode = EXIT.refused;
      }
    });
