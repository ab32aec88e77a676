import type { EventJson } from "../api-client.ts";
import { withJson, json, type CommandModule } from "../context.ts";
import { CliFailure, EXIT } from "../exit-codes.ts";
import { eventRow, eventTable, EVENT_HEADERS } from "../event-rows.ts";
import { table } from "../output.ts";

type EventsOptions = { org?: string; type?: string; since?: string; until?: string; limit?: string; follow?: boolean; ndjson?: boolean; json?: boolean; interval: string };
type Page = { events: EventJson[]; next: string; hasMore: boolean };

const PAGE = 1000;

/**
 * `ssomig events`: the audit log in commit order, filtered like `GET /v1/events`; `--follow`
 * keeps polling for new events, `--ndjson` prints one JSON event per line (the API's export).
 */
export const events: CommandModule = (program, ctx) => {
  withJson(program.command("events").summary("the audit log (--follow, --ndjson)").description("the audit log in commit order (every organization), filtered; --follow waits for new events"))
    .option("--org <id>", "one organization's events")
    .option("--type <types>", "only these event types (comma-separated, e.g. OrganizationMigrated,OrganizationRolledBack)")
    .option("--since <time>", "recorded at or after this ISO 8601 time")
    .option("--until <time>", "recorded at or before this ISO 8601 time")
    .option("--limit <n>", "at most this many events (default: all)")
    .option("--follow", "after the last event, keep printing new ones as they are committed (Ctrl-C stops)")
    .option("--interval <ms>", "with --follow, how often to ask for new events", "1000")
    .option("--ndjson", "one JSON event per line (streams; what --follow --json prints too)")
    .action(async (options: EventsOptions) => {
      const limit = options.limit === undefined ? Infinity : Number(options.limit);
      if (limit !== Infinity && (!Number.isInteger(limit) || limit < 1)) throw new CliFailure(EXIT.usage, `--limit must be a positive integer, got ${options.limit}`);
      const interval = Number(options.interval);
      if (!Number.isInteger(interval) || interval < 10) throw new CliFailure(EXIT.usage, `--interval must be a number of milliseconds (at least 10), got ${options.interval}`);
      const filters = new URLSearchParams();
      for (const name of ["org", "type", "since", "until"] as const) if (options[name] !== undefined) filters.set(name, options[name]!);

      if (options.ndjson && !options.follow && limit === Infinity) return exportAll(filters);
      const lines = options.ndjson || (options.follow && options.json);
      const seen: EventJson[] = [];
      let after: string | undefined;
      let headerPrinted = false;
      const print = (batch: EventJson[]) => {
        if (lines) return batch.forEach((e) => ctx.io.out(JSON.stringify(e)));
        if (!options.follow) return seen.push(...batch); // one aligned table at the end
        const rendered = table(EVENT_HEADERS, batch.map(eventRow));
        for (const line of headerPrinted ? rendered.slice(1) : rendered) ctx.io.out(line);
        headerPrinted = true;
      };
      // Only a follower waits for Ctrl-C: any other listing keeps the default (Ctrl-C ends it at once).
      const interrupted = options.follow ? ctx.io.interrupted().then(() => true) : null;
      let count = 0;
      for (;;) {
        const query = new URLSearchParams(filters);
        query.set("limit", String(Math.min(PAGE, limit - count)));
        if (after) query.set("after", after);
        const page: Page = await ctx.api().json("GET", `/v1/events?${query}`);
        count += page.events.length;
        if (page.events.length > 0) print(page.events);
        after = page.next;
        if (count >= limit) break;
        if (page.hasMore) continue;
        if (!options.follow) break;
        const stop = await Promise.race([interrupted!, new Promise<false>((resolve) => setTimeout(() => resolve(false), interval))]);
        if (stop) break;
      }
      if (options.follow || lines) return;
      if (options.json) return ctx.io.out(json({ events: seen }));
      if (seen.length === 0) return ctx.io.out("no events");
      for (const line of eventTable(seen)) ctx.io.out(line);
    });

  /** The API's NDJSON export, copied as it streams. */
  async function exportAll(filters: URLSearchParams): Promise<void> {
    const answer = await ctx.api().response("GET", `/v1/events${filters.size > 0 ? `?${filters}` : ""}`, { accept: "application/x-ndjson" });
    const decoder = new TextDecoder();
    for await (const chunk of answer.body ?? []) ctx.io.write(decoder.decode(chunk as Uint8Array, { stream: true }));
    ctx.io.write(decoder.decode());
  }
};
