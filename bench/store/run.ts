/**
 * Event store figures on a real PostgreSQL (TEST_PG_URL), each on a throwaway database:
 * - appends: concurrent commands on different organizations, events/s; and on one hot
 *   organization, where every command races the others (conflicts are retried);
 * - replay: 1,000,000 events folded into a fresh projection and swapped in.
 *
 *   bun bench/store/run.ts [--commands 6000] [--concurrency 32] [--replay-events 1000000]
 */
import { openEventStore, type EventStore } from "../../db/event-store.ts";
import { executeCommand } from "../../services/commands/execute-command.ts";
import type { OrganizationCommand } from "../../shared/commands.ts";
import { VersionConflict } from "../../shared/errors.ts";
import { createTestDatabase } from "../../tests/support/postgres.ts";
import { fmt, table, argNumber } from "../stats.ts";

const PROVIDERS = { ids: ["legacy", "target"], defaultProvider: "legacy", defaultTarget: "target" };

async function runAll(store: EventStore, commands: OrganizationCommand[], concurrency: number): Promise<{ seconds: number; ok: number; refused: number }> {
  let next = 0;
  let ok = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < commands.length) {
        const command = commands[next++]!;
        try {
          await executeCommand({ store, providers: PROVIDERS }, command, { actor: "bench", requestId: "bench", reason: "reason" in command ? command.reason : null }, () => ({ status: 200, body: null }));
          ok++;
        } catch {
          refused++;
        }
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, ok, refused };
}

/** Counts version conflicts seen by appends (each one is a retry inside executeCommand). */
function countingConflicts(store: EventStore): { store: EventStore; conflicts: () => number } {
  let conflicts = 0;
  return {
    store: {
      ...store,
      appendToStream: async (...append) => {
        try {
          return await store.appendToStream(...append);
        } catch (error) {
          if (error instanceof VersionConflict) conflicts++;
          throw error;
        }
      },
    },
    conflicts: () => conflicts,
  };
}

export type AppendResult = { eventsPerSecond: number; hotEventsPerSecond: number; hotConflicts: number; hotCommands: number; concurrency: number };

export async function appendBench(commandCount: number, concurrency: number): Promise<AppendResult> {
  const db = await createTestDatabase();
  try {
    const store = await openEventStore(db.open());
    const orgs = Math.ceil(commandCount / 2);
    const registers: OrganizationCommand[] = Array.from({ length: orgs }, (_, i) => ({ type: "RegisterOrganization", organizationId: `org-${i}`, name: `Org ${i}`, identifiers: [{ kind: "domain", value: `org-${i}.example.com` }] }));
    const migrations: OrganizationCommand[] = Array.from({ length: orgs }, (_, i) => ({ type: "MigrateOrganization", organizationId: `org-${i}`, reason: "bench" }));
    const a = await runAll(store, registers, concurrency);
    const b = await runAll(store, migrations, concurrency);
    const eventsPerSecond = (a.ok + b.ok) / (a.seconds + b.seconds);

    await runAll(store, [{ type: "RegisterOrganization", organizationId: "hot", name: "Hot", identifiers: [] }], 1);
    const counted = countingConflicts(store);
    const hot: OrganizationCommand[] = Array.from({ length: 500 }, (_, i) => (i % 2 ? { type: "RollBackOrganization", organizationId: "hot", reason: "bench" } : { type: "MigrateOrganization", organizationId: "hot", reason: "bench" }));
    const h = await runAll(counted.store, hot, concurrency);
    return { eventsPerSecond, hotEventsPerSecond: h.ok / h.seconds, hotConflicts: counted.conflicts(), hotCommands: hot.length, concurrency };
  } finally {
    await db.drop();
  }
}

export type ReplayBenchResult = { events: number; seconds: number; loadSeconds: number };

/** Writes `events` events for events/10 organizations with SQL, then times a full replay with swap. */
export async function replayBench(events: number): Promise<ReplayBenchResult> {
  const db = await createTestDatabase();
  try {
    const sql = db.open();
    const store = await openEventStore(sql);
    const orgs = Math.max(1, Math.floor(events / 10));
    const loadStarted = performance.now();
    // Each organization: registered on legacy, then nine migrations and rollbacks in turn.
    await sql.query(`SET statement_timeout = 0`);
    await sql.query(
      `INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata)
       SELECT 'organization-org-' || o, v, gen_random_uuid(),
              CASE WHEN v = 1 THEN 'OrganizationRegistered' WHEN v % 2 = 0 THEN 'OrganizationMigrated' ELSE 'OrganizationRolledBack' END,
              CASE WHEN v = 1 THEN jsonb_build_object('organizationId', 'org-' || o, 'name', 'Org ' || o, 'provider', 'legacy',
                                                      'identifiers', jsonb_build_array(jsonb_build_object('kind', 'domain', 'value', 'org-' || o || '.example.com')))
                   WHEN v % 2 = 0 THEN jsonb_build_object('organizationId', 'org-' || o, 'from', 'legacy', 'to', 'target', 'reason', 'bench')
                   ELSE jsonb_build_object('organizationId', 'org-' || o, 'from', 'target', 'to', 'legacy', 'reason', 'bench') END,
              '{"actor":"bench","reason":null,"requestId":"bench","idempotencyKey":null,"schemaVersion":1}'::jsonb
         FROM generate_series(1, $1::int) AS o, generate_series(1, 10) AS v
        ORDER BY o, v`,
      [orgs],
    );
    await sql.query(`INSERT INTO streams (stream_id, version) SELECT 'organization-org-' || o, 10 FROM generate_series(1, $1::int) AS o`, [orgs]);
    await sql.query("ANALYZE events");
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const started = performance.now();
    const report = await store.replay({ swap: true });
    return { events: report.events, seconds: (performance.now() - started) / 1000, loadSeconds };
  } finally {
    await db.drop();
  }
}

if (import.meta.main) {
  const arg = argNumber;
  const a = await appendBench(arg("--commands", 6000), arg("--concurrency", 32));
  const r = await replayBench(arg("--replay-events", 1_000_000));
  console.log(
    table(
      ["measure", "figure"],
      [
        [`appends, ${a.concurrency} concurrent commands on different organizations`, `${a.eventsPerSecond.toFixed(0)} events/s`],
        [`appends, ${a.concurrency} concurrent commands on one hot organization`, `${a.hotEventsPerSecond.toFixed(0)} events/s, ${a.hotConflicts} conflicts retried over ${a.hotCommands} commands`],
        [`replay of ${r.events} events into a fresh projection (swap)`, `${fmt(r.seconds, 2)} s, ${(r.events / r.seconds).toFixed(0)} events/s`],
      ],
    ),
  );
}
