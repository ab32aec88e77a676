import { positiveIntOption, withJson, json, type CliContext, type CommandModule } from "../context.ts";
import { cell, table } from "../output.ts";

/** `GET /v1/unmatched`'s rows: an identifier routers saw that named no organization. */
type UnmatchedJson = { kind: string; value: string; requestKind: string; provider: string; count: number; firstSeen: string; lastSeen: string; link: { kind: string; value: string } };

const KINDS = "saml_issuer, domain, connection, client_id or oidc_issuer";

/** `ssomig unmatched [--kind KIND] [--limit N]`: which customer IdPs are still unregistered, most frequent first. */
export const unmatched: CommandModule = (program, ctx) =>
  withJson(program.command("unmatched").summary("identifiers the routers saw that name no organization, most frequent first").description("identifiers the routers saw that named no organization (unregistered IdPs, domains, connections), most frequent first, and how to link one"))
    .option("--kind <kind>", `only this kind: ${KINDS}`)
    .option("--limit <n>", "at most this many (default 100, at most 1000)", positiveIntOption("--limit"))
    .action(async (options: { kind?: string; limit?: number; json?: boolean }) => {
      const query = new URLSearchParams();
      if (options.kind !== undefined) query.set("kind", options.kind);
      if (options.limit !== undefined) query.set("limit", String(options.limit));
      const answer: { unmatched: UnmatchedJson[] } = await ctx.api().json("GET", `/v1/unmatched${query.size > 0 ? `?${query}` : ""}`);
      if (options.json) return ctx.io.out(json(answer));
      if (answer.unmatched.length === 0) return ctx.io.out(options.kind ? `no unmatched ${options.kind} seen` : "no unmatched traffic seen");
      const rows = answer.unmatched.map((u) => [u.kind, cell(u.value), u.requestKind, u.provider, String(u.count), u.firstSeen, u.lastSeen]);
      for (const line of table(["KIND", "VALUE", "REQUEST", "PROVIDER", "COUNT", "FIRST SEEN", "LAST SEEN"], rows)) ctx.io.out(line);
      ctx.io.out("");
      for (const line of linkHint(ctx, answer.unmatched[0]!.link)) ctx.io.out(line);
    });

/** How to link the most frequent one: to an organization that exists (the API), or with a new one (the CLI). Linking clears it from the list. */
function linkHint(ctx: CliContext, link: { kind: string; value: string }): string[] {
  const body = shellQuote(JSON.stringify(link));
  const pair = shellQuote(`${link.kind}=${link.value}`);
  return [
    "link one to its organization (this clears it from the list), e.g. the first:",
    `  curl -X POST -H "Authorization: Bearer $SSOMIG_TOKEN" -H 'content-type: application/json' -d ${body} ${ctx.settings().apiUrl}/v1/organizations/ORG_ID/identifiers`,
    "or register a new organization with it:",
    `  ssomig orgs register ORG_ID --name NAME --identifier ${pair}`,
  ];
}

/** Single quotes for a POSIX shell: what is inside is taken as is. */
const shellQuote = (text: string): string => `'${cell(text).replaceAll("'", `'\\''`)}'`;
