import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { openEventStore } from "../../db/event-store.ts";
import { migrate as applyMigrations } from "../../db/migrate.ts";
import type { Database } from "../../db/sql.ts";
import { executeCommand } from "../../services/commands/execute-command.ts";
import { PROVIDERS } from "../support/commands.ts";
import { DATABASES } from "../support/stores.ts";

const MIGRATIONS = new URL("../../db/migrations/", import.meta.url);

/** A database as the release before per-caller keys left it: migrations 0000 and 0001 only. */
async function applyUpTo0001(db: Database): Promise<void> {
  await db.query("CREATE TABLE schema_migrations (tag text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
  for (const tag of ["0000_init", "0001_append_only_events"]) {
    const text = await readFile(new URL(`${tag}.sql`, MIGRATIONS), "utf8");
    for (const statement of text.split("--> statement-breakpoint")) if (statement.trim()) await db.query(statement);
    await db.query("INSERT INTO schema_migrations (tag) VALUES ($1)", [tag]);
  }
}


for (const backend of DATABASES) {
  describe(`migration 0002 on ${backend.name}`, () => {
    let f: { db: Database; close(): Promise<void> };
    beforeAll(async () => {
      f = await backend.open();
    });
    afterAll(async () => {
      await f.close();
    });

    test("keeps the keys stored before it, owned by the actor of the events they appended, answering with the same body", async () => {
      await applyUpTo0001(f.db);
      const metadata = (actor: string, key: string | null) => ({ actor, reason: "r", requestId: "r", idempotencyKey: key, schemaVersion: 1 });
      await f.db.query("INSERT INTO streams (stream_id, version) VALUES ('organization-old', 2)");
      await f.db.query(
        `INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata) VALUES
           ('organization-old', 1, gen_random_uuid(), 'OrganizationRegistered', '{"organizationId":"old","name":"Old","provider":"legacy","identifiers":[]}', $1::jsonb),
           ('organization-old', 2, gen_random_uuid(), 'OrganizationMigrated', '{"organizationId":"old","from":"legacy","to":"target","reason":"r"}', $2::jsonb)`,
        [metadata("carol@example.com", null), metadata("alice@example.com", "old-key")],
      );
      await f.db.query(
        `INSERT INTO idempotency_keys (key, fingerprint, status, body) VALUES
           ('old-key', 'fp', 200, '{"id":"old","provider":"target","version":2,"position":2}'),
           ('orphan-key', 'fp', 200, '{}')`,
      );
      const journal = JSON.parse(await readFile(new URL("meta/_journal.json", MIGRATIONS), "utf8")) as { entries: { tag: string }[] };
      expect(await applyMigrations(f.db)).toEqual(journal.entries.slice(2).map((e) => e.tag));
      const store = await openEventStore(f.db);
      expect(await f.db.query("SELECT subject, key FROM idempotency_keys")).toEqual([{ subject: "alice@example.com", key: "old-key" }]);
      expect(await store.findIdempotencyKey("alice@example.com", "old-key")).toMatchObject({ status: 200, body: { id: "old", provider: "target", version: 2, position: 2 } });
      const retried = await executeCommand(
        { store, providers: PROVIDERS },
        { type: "MigrateOrganization", organizationId: "old", reason: "r" },
        { actor: "alice@example.com", requestId: "retry", reason: "r", idempotency: { key: "old-key", fingerprint: "fp" } },
        () => {
          throw new Error("a stored key must not run the command again");
        },
      );
      expect(retried).toEqual({ status: 200, body: { id: "old", provider: "target", version: 2, position: 2 } });
    });
  });
}
