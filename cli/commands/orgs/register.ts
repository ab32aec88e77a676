import { Option } from "commander";
import type { OrganizationJson } from "../../api-client.ts";
import { idempotencyKey, withIdempotencyKey, withJson, json, type CommandModule } from "../../context.ts";
import { CliFailure, EXIT } from "../../exit-codes.ts";
import { printOrganization } from "./show.ts";

/** `kind=value`, the way `--identifier` takes it; the API checks the kind and the value. */
export function identifierArgument(text: string, previous: { kind: string; value: string }[] = []) {
  const equals = text.indexOf("=");
  if (equals <= 0) throw new CliFailure(EXIT.usage, `--identifier takes KIND=VALUE (e.g. domain=acme.com), got ${JSON.stringify(text)}`);
  return [...previous, { kind: text.slice(0, equals), value: text.slice(equals + 1) }];
}

/** `ssomig orgs register ID --name NAME [--identifier KIND=VALUE ...] [--tag TAG ...]`. */
export const register: CommandModule = (orgs, ctx) =>
  withIdempotencyKey(withJson(orgs.command("register").description("register an organization (on the legacy provider) with the identifiers that find its traffic").argument("<id>", "1-63 of a-z 0-9 - _")))
    .requiredOption("--name <name>", "its display name")
    .addOption(new Option("--identifier <kind=value>", "an identifier (repeat): domain, saml_issuer, oidc_issuer, connection or client_id").argParser(identifierArgument))
    .addOption(new Option("--tag <tag>", "a tag (repeat): free-form (beta) or key:value (tier:enterprise, region:eu); waves select by them").argParser((tag: string, previous: string[] = []) => [...previous, tag]))
    .action(async (id: string, options: { name: string; identifier?: { kind: string; value: string }[]; tag?: string[]; json?: boolean; idempotencyKey?: string }) => {
      const org: OrganizationJson = await ctx.api().json("POST", "/v1/organizations", {
        body: { id, name: options.name, identifiers: options.identifier ?? [], ...(options.tag ? { tags: options.tag } : {}) },
        idempotencyKey: idempotencyKey(options),
      });
      if (options.json) return ctx.io.out(json(org));
      ctx.io.out(`registered ${org.id} on ${org.provider}`);
      printOrganization(ctx.io.out, org);
    });
