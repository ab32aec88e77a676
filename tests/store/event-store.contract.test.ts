import { unique } from "../support/unique.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CodedError, DomainError, VersionConflict } from "../../shared/errors.ts";
import { streamIdOf } from "../../shared/events.ts";
import { fold } from "../../shared/organization.ts";
import { LOG_START } from "../../db/event-store.ts";
import { translateAppendError } from "../../db/constraint-errors.ts";
import { ormOf } from "../../db/orm.ts";
import { sql } from "drizzle-orm";
import { executeCommand } from "../../services/commands/execute-command.ts";
import { migrate as applyMigrations } from "../../db/migrate.ts";
import { BACKENDS, type StoreFixture } from "../support/stores.ts";
import { migrate, PROVIDERS, register, rollBack, run } from "../support/commands.ts";
import { eventually } from "../support/eventually.ts";


async function rejection(promise: Promise<unknown>): Promise<CodedError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CodedError) return error;
    throw error;
  }
  throw new Error("expected a rejection, but it resolved");
}

for (const backend of BACKENDS) {
  describe(`event store contract on ${backend.name}`, () => {
    let f: StoreFixture;
    beforeAll(async () => {
      f = await backend.open();
    });
    afterAll(async () => {
      await f.close();
    });

    test("appends events with contiguous stream versions and increasing global positions", async () => {
      const id = unique("acme");
      await run(f.store, register(id, [{ kind: "domain", value: `${id}.com` }]));
      await run(f.store, migrate(id));
      await run(f.store, rollBack(id));
      const history = await f.store.readStream(streamIdOf(id));
      expect(history.map((e) => e.type)).toEqual(["OrganizationRegistered", "OrganizationMigrated", "OrganizationRolledBack"]);
      expect(history.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
      expect(history[0]!.position).toBeLessThan(history[1]!.position);
      expect(history[1]!.position).toBeLessThan(history[2]!.position);
      expect(history[1]!.metadata).toMatchObject({ actor: "tester", reason: "moving", schemaVersion: 1 });
      expect(history[1]!.data).toEqual({ organizationId: id, from: "legacy", to: "target", reason: "moving" });
    });

    test("writes the projection in the same transaction as the events", async () => {
      const id = unique("proj");
      await run(f.store, register(id, [{ kind: "saml_issuer", value: `https://idp.example.com/${id}` }]));
      const outcome = await run(f.store, migrate(id));
      const view = await f.store.getOrganization(id);
      expect(view).toMatchObject({ id, provider: "target", version: 2, position: outcome.position, rollbackTo: ["legacy"] });
      expect(view!.identifiers).toEqual([{ kind: "saml_issuer", value: `https://idp.example.com/${id}` }]);
    });

    test("refuses an append whose expected version is stale, and appends nothing", async () => {
      const id = unique("stale");
      await run(f.store, register(id));
      const events = [{ type: "OrganizationMigrated", data: { organizationId: id, from: "legacy", to: "target", reason: "x" } }] as const;
      const metadata = { actor: "a", reason: "x", requestId: "r", idempotencyKey: null };
      await f.store.appendToStream(streamIdOf(id), 1, events, metadata);
      const error = await rejection(f.store.appendToStream(streamIdOf(id), 1, events, metadata));
      expect(error).toBeInstanceOf(VersionConflict);
      expect(error.details).toEqual({ expected: 1, actual: 2 });
      expect(await f.store.readStream(streamIdOf(id))).toHaveLength(2);
      // Appended without the caller's state, the store folded the stream itself for the projection.
      expect(await f.store.getOrganization(id)).toMatchObject({ provider: "target", version: 2, rollbackTo: ["legacy"] });
    });

    test("refuses to create a stream that already exists", async () => {
      const id = unique("twice");
      await run(f.store, register(id));
      const error = await rejection(
        f.store.appendToStream(
          streamIdOf(id),
          0,
          [{ type: "OrganizationRegistered", data: { organizationId: id, name: "x", provider: "legacy", identifiers: [] } }],
          { actor: "a", reason: null, requestId: "r", idempotencyKey: null },
        ),
      );
      expect(error.code).toBe("version_conflict");
    });

    test("a unique violation an append can still meet leaves the store as a domain code", async () => {
      const id = unique("unique");
      const raw = async (statement: string, params: unknown[]) => {
        try {
          await f.db.query(statement, params);
        } catch (error) {
          return error;
        }
        throw new Error("expected a unique violation");
      };
      await f.db.query("INSERT INTO streams (stream_id, version) VALUES ($1, 1)", [streamIdOf(id)]);
      const stream = translateAppendError(await raw("INSERT INTO streams (stream_id, version) VALUES ($1, 1)", [streamIdOf(id)]), streamIdOf(id), 0);
      expect(stream).toBeInstanceOf(VersionConflict);
      // Through drizzle, which wraps the driver's error: still recognized.
      const wrapped = await ormOf(f.db).execute(sql`INSERT INTO streams (stream_id, version) VALUES (${streamIdOf(id)}, 1)`).then(() => null, (error: unknown) => error);
      expect(wrapped).not.toBeNull();
      expect(translateAppendError(wrapped, streamIdOf(id), 0)).toBeInstanceOf(VersionConflict);
      await f.db.query("INSERT INTO identifiers (kind, value, organization_id) VALUES ('domain', $1, 'a')", [`${id}.example`]);
      const identifier = translateAppendError(await raw("INSERT INTO identifiers (kind, value, organization_id) VALUES ('domain', $1, 'b')", [`${id}.example`]), "organization-b", 0);
      expect(identifier).toBeInstanceOf(DomainError);
      expect((identifier as DomainError).code).toBe("identifier_taken");
    });

    test("an identifier belongs to at most one organization across all streams", async () => {
      const a = unique("a");
      const b = unique("b");
      const shared = { kind: "domain", value: `${a}.example.com` } as const;
      await run(f.store, register(a, [shared]));
      const error = await rejection(run(f.store, register(b, [shared])));
      expect(error).toBeInstanceOf(DomainError);
      expect(error.code).toBe("identifier_taken");
      expect(await f.store.readStream(streamIdOf(b))).toHaveLength(0);
      expect(await f.store.getOrganization(b)).toBeNull();
      await run(f.store, register(b));
      expect((await rejection(run(f.store, { type: "LinkIdentifier", organizationId: b, identifier: shared }))).code).toBe("identifier_taken");
      await run(f.store, { type: "UnlinkIdentifier", organizationId: a, identifier: shared });
      await run(f.store, { type: "LinkIdentifier", organizationId: b, identifier: shared });
      expect((await f.store.getOrganization(a))!.identifiers).toEqual([]);
      expect((await f.store.getOrganization(b))!.identifiers).toEqual([shared]);
    });

    test("an Idempotency-Key runs its command once per caller: concurrent retries all get the first answer", async () => {
      const id = unique("idem");
      await run(f.store, register(id));
      const key = unique("key");
      const send = (actor: string, command = migrate(id), fingerprint = "f1") =>
        executeCommand({ store: f.store, providers: PROVIDERS }, command, { actor, requestId: crypto.randomUUID(), reason: "moving", idempotency: { key, fingerprint } }, (o) => ({
          status: o.appended === 0 ? 200 : 201,
          body: { provider: o.state.status === "registered" ? o.state.provider : null, version: o.version, position: o.position, appended: o.appended },
        }));
      const answers = await Promise.all(Array.from({ length: 20 }, () => send("tester")));
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      expect(answers[0]).toMatchObject({ status: 201, body: { provider: "target", version: 2, appended: 1 } });
      expect(await f.store.readStream(streamIdOf(id))).toHaveLength(2);
      expect(await f.store.findIdempotencyKey("tester", key)).toMatchObject({ fingerprint: "f1", result: { version: 2, appended: 1 } });
      // The same key from another caller is that caller's own: it runs, and is refused on its merits.
      expect(await f.store.findIdempotencyKey("someone-else", key)).toBeNull();
      expect((await rejection(send("someone-else"))).code).toBe("already_on_provider");
      expect((await send("someone-else", rollBack(id), "f2")).body).toMatchObject({ provider: "legacy", version: 3 });
      // The same caller, the same key, another request: refused, nothing appended.
      expect((await rejection(send("tester", rollBack(id), "f3"))).code).toBe("idempotency_key_reused");
      expect(await f.store.readStream(streamIdOf(id))).toHaveLength(3);
    });

    test("a command that fails under an Idempotency-Key keeps no key: its retry runs again", async () => {
      const id = unique("idem-fail");
      const key = unique("key");
      const taken = { kind: "domain", value: `${id}.example.com` } as const;
      await run(f.store, register(unique("owner"), [taken]));
      expect((await rejection(run(f.store, register(id, [taken]), { idempotency: { key, fingerprint: "f" } }))).code).toBe("identifier_taken");
      expect(await f.store.findIdempotencyKey("tester", key)).toBeNull();
      await run(f.store, register(id), { idempotency: { key, fingerprint: "f" } });
      expect(await f.store.readStream(streamIdOf(id))).toHaveLength(1);
    });

    test("forgets idempotency keys older than their time to live, and only those", async () => {
      const old = unique("old-key");
      const fresh = unique("fresh-key");
      await run(f.store, register(unique("ttl-a")), { idempotency: { key: old, fingerprint: "f" } });
      await run(f.store, register(unique("ttl-b")), { idempotency: { key: fresh, fingerprint: "f" } });
      await f.db.query("UPDATE idempotency_keys SET created_at = now() - interval '8 days' WHERE key = $1", [old]);
      expect(await f.store.expireIdempotencyKeys(168)).toBeGreaterThanOrEqual(1);
      expect(await f.store.findIdempotencyKey("tester", old)).toBeNull();
      expect(await f.store.findIdempotencyKey("tester", fresh)).not.toBeNull();
    });

    test("the database refuses UPDATE, DELETE and TRUNCATE on events", async () => {
      const id = unique("ro");
      await run(f.store, register(id));
      for (const statement of [
        `UPDATE events SET type = 'x' WHERE stream_id = '${streamIdOf(id)}'`,
        `DELETE FROM events WHERE stream_id = '${streamIdOf(id)}'`,
        "TRUNCATE events",
      ]) {
        await expect(f.db.query(statement)).rejects.toThrow(/append-only/);
      }
      expect(await f.store.readStream(streamIdOf(id))).toHaveLength(1);
    });

    /** The instant one microsecond before `iso`, computed by PostgreSQL at its own precision. */
    async function microsecondBefore(iso: string): Promise<string> {
      const rows = await f.db.query<{ t: string }>(`SELECT to_char(($1::timestamptz - interval '1 microsecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t`, [iso]);
      return rows[0]!.t;
    }

    test("reads the log in order with filters and a cursor that pages without gaps", async () => {
      const id = unique("log");
      await run(f.store, register(id));
      for (let i = 0; i < 3; i++) {
        await run(f.store, migrate(id));
        await run(f.store, rollBack(id));
      }
      const readAll = async () => {
        const seen: number[] = [];
        let after = LOG_START;
        for (;;) {
          const page = await f.store.readLog({ after, limit: 2, streamId: streamIdOf(id) });
          seen.push(...page.events.map((e) => e.streamVersion));
          if (page.events.length < 2) return seen;
          after = page.next;
        }
      };
      const seen = await eventually(readAll, (s) => s.length >= 7);
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
      const migrations = await f.store.readLog({ after: LOG_START, limit: 100, streamId: streamIdOf(id), types: ["OrganizationMigrated"] });
      expect(migrations.events.map((e) => e.type)).toEqual(Array(3).fill("OrganizationMigrated"));
      const future = await f.store.readLog({ after: LOG_START, limit: 100, streamId: streamIdOf(id), since: new Date(Date.now() + 60_000).toISOString() });
      expect(future.events).toEqual([]);
    });

    test("reads a stream as it was at a position or a time", async () => {
      const id = unique("travel");
      await run(f.store, register(id));
      const migrated = await run(f.store, migrate(id));
      await run(f.store, rollBack(id));
      expect(fold(await f.store.readStream(streamIdOf(id), { position: migrated.position }))).toMatchObject({ provider: "target" });
      const history = await f.store.readStream(streamIdOf(id));
      expect(fold(await f.store.readStream(streamIdOf(id), { time: history[0]!.recordedAt }))).toMatchObject({ provider: "legacy" });
      expect(await f.store.readStream(streamIdOf(id), { time: await microsecondBefore(history[0]!.recordedAt) })).toEqual([]);
    });

    test("time travel is exact to the microsecond: as of each event's shown time is exactly the stream up to it", async () => {
      const id = unique("exact");
      await run(f.store, register(id));
      // Back to back: on PGlite (a millisecond clock) several of these share a millisecond.
      for (let i = 0; i < 5; i++) {
        await run(f.store, migrate(id));
        await run(f.store, rollBack(id));
      }
      const history = await f.store.readStream(streamIdOf(id));
      expect(history).toHaveLength(11);
      for (const event of history) expect(event.recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      const times = history.map((e) => e.recordedAt);
      expect([...times].sort()).toEqual(times);
      expect(new Set(times).size).toBe(times.length);
      for (const [i, event] of history.entries()) {
        const asOf = await f.store.readStream(streamIdOf(id), { time: event.recordedAt });
        expect(asOf.map((e) => e.streamVersion)).toEqual(history.slice(0, i + 1).map((e) => e.streamVersion));
        const before = await f.store.readStream(streamIdOf(id), { time: await microsecondBefore(event.recordedAt) });
        expect(before).toHaveLength(i);
      }
    });

    test("a command recorded in the same millisecond as the previous one (or by a clock that stepped back) comes strictly after it", async () => {
      const id = unique("sameclock");
      // The registration as a clock an hour ahead recorded it: the next append's clock reads earlier.
      await f.db.query("INSERT INTO streams (stream_id, version) VALUES ($1, 1)", [streamIdOf(id)]);
      await f.db.query(
        `INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata, recorded_at)
         VALUES ($1, 1, gen_random_uuid(), 'OrganizationRegistered', $2::jsonb, '{"actor":"t","reason":null,"requestId":"r","idempotencyKey":null,"schemaVersion":1}', now() + interval '1 hour')`,
        [streamIdOf(id), { organizationId: id, name: "Same", provider: "legacy", identifiers: [] }],
      );
      await run(f.store, migrate(id));
      const [registered, migratedEvent] = await f.store.readStream(streamIdOf(id));
      expect(migratedEvent!.recordedAt > registered!.recordedAt).toBe(true);
      expect(fold(await f.store.readStream(streamIdOf(id), { time: registered!.recordedAt }))).toMatchObject({ provider: "legacy" });
      expect(fold(await f.store.readStream(streamIdOf(id), { time: migratedEvent!.recordedAt }))).toMatchObject({ provider: "target" });
      expect((await f.store.getOrganization(id))!.updatedAt).toBe(migratedEvent!.recordedAt);
    });

    test("replay matches the live projection, finds tampering, and a swap repairs it", async () => {
      const id = unique("replay");
      await run(f.store, register(id, [{ kind: "client_id", value: id }]));
      await run(f.store, migrate(id));
      const clean = await f.store.replay({ swap: false });
      expect(clean).toMatchObject({ matched: true, swapped: false });
      expect(clean.events).toBeGreaterThanOrEqual(2);
      await f.db.query("UPDATE organizations SET provider = 'legacy' WHERE id = $1", [id]);
      await f.db.query("DELETE FROM identifiers WHERE organization_id = $1", [id]);
      const dirty = await f.store.replay({ swap: false });
      expect(dirty.matched).toBe(false);
      expect(dirty.differences).toEqual(
        expect.arrayContaining([
          { organizationId: id, field: "provider", live: "legacy", replayed: "target" },
          { organizationId: id, field: "identifiers", live: [], replayed: [`client_id\u0000${id}`] },
        ]),
      );
      const swapped = await f.store.replay({ swap: true });
      expect(swapped).toMatchObject({ matched: false, swapped: true });
      expect(await f.store.getOrganization(id)).toMatchObject({ provider: "target", identifiers: [{ kind: "client_id", value: id }] });
      expect((await f.store.replay({ swap: false })).matched).toBe(true);
      await run(f.store, rollBack(id));
      expect((await f.store.replay({ swap: false })).matched).toBe(true);
    });

    const added = (amount: number) => ({ type: "Added", data: { amount } });
    const meta = { actor: "tester", reason: null, requestId: "r", idempotencyKey: null };
    const tally = async (streamId: string) => (await f.db.query<{ total: number; version: number }>("SELECT total, version FROM tallies WHERE stream_id = $1", [streamId]))[0];

    test("serves a second stream type through the same calls, with its own projection in the append's transaction", async () => {
      const streamId = `tally-${unique("t")}`;
      const first = await f.store.appendToStream(streamId, 0, [added(5), added(7)], meta);
      expect(first).toMatchObject({ version: 2 });
      expect(first.events.map((e): unknown[] => [e.type, e.streamVersion, e.data])).toEqual<unknown[]>([["Added", 1, { amount: 5 }], ["Added", 2, { amount: 7 }]]);
      expect(await tally(streamId)).toEqual({ total: 12, version: 2 });
      // Without the caller's state the store folds the stream with the projection's evolve.
      await f.store.appendToStream(streamId, 2, [added(1)], meta);
      expect(await tally(streamId)).toEqual({ total: 13, version: 3 });
      expect((await rejection(f.store.appendToStream(streamId, 2, [added(1)], meta))).code).toBe("version_conflict");
      expect((await f.store.readStream(streamId)).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
      expect((await f.store.readLog({ after: LOG_START, limit: 10, streamId })).events.length).toBeLessThanOrEqual(3);
    });

    test("a projection that refuses an append rolls its events back, in a stream of any type", async () => {
      const streamId = `tally-${unique("over")}`;
      await f.store.appendToStream(streamId, 0, [added(60)], meta, { state: { total: 0 } });
      expect((await rejection(f.store.appendToStream(streamId, 1, [added(50)], meta, { state: { total: 60 } }))).code).toBe("invalid_request");
      expect(await f.store.readStream(streamId)).toHaveLength(1);
      expect(await tally(streamId)).toEqual({ total: 60, version: 1 });
      expect((await f.store.appendToStream(streamId, 1, [added(40)], meta)).version).toBe(2);
    });

    test("an idempotent command on a stream of another type runs once and hands its result to every retry", async () => {
      const streamId = `tally-${unique("idem")}`;
      const key = unique("key");
      const work = () =>
        f.store.withIdempotencyKey({ subject: "tester", key, fingerprint: "f" }, async (streams) => {
          const { version } = await streams.appendToStream(streamId, 0, [added(3)], meta);
          return { version };
        });
      const answers = await Promise.all([work(), work(), work()]);
      expect(answers.filter((a) => !a.replayed)).toEqual([{ replayed: false, result: { version: 1 } }]);
      expect(answers.filter((a) => a.replayed).map((a) => a.replayed && a.record)).toEqual([{ fingerprint: "f", result: { version: 1 } }, { fingerprint: "f", result: { version: 1 } }]);
      expect(await f.store.readStream(streamId)).toHaveLength(1);
    });

    test("replay rebuilds every registered projection: tampering with the second type is found and repaired", async () => {
      const streamId = `tally-${unique("replay")}`;
      await f.store.appendToStream(streamId, 0, [added(9)], meta);
      const clean = await f.store.replay({ swap: false });
      expect(clean.matched).toBe(true);
      expect(clean.tallies).toBeGreaterThanOrEqual(1);
      expect(clean.organizations).toBeGreaterThanOrEqual(0);
      await f.db.query("UPDATE tallies SET total = 0 WHERE stream_id = $1", [streamId]);
      const dirty = await f.store.replay({ swap: true });
      expect(dirty.differences).toContainEqual({ streamId, field: "(row)", live: { streamId, total: 0, version: 1 }, replayed: { streamId, total: 9, version: 1 } });
      expect(await tally(streamId)).toEqual({ total: 9, version: 1 });
      expect((await f.store.replay({ swap: false })).matched).toBe(true);
    });

    test("tags are projected with the organization, and replay finds and repairs a tampered set", async () => {
      const id = unique("tags");
      await run(f.store, { ...register(id), tags: ["tier:enterprise"] } as never);
      await run(f.store, { type: "SetOrganizationTags", organizationId: id, tags: ["region:eu", "tier:enterprise"] });
      expect(await f.store.getOrganization(id)).toMatchObject({ tags: ["region:eu", "tier:enterprise"], version: 2 });
      expect((await f.store.listOrganizations({ tags: ["region:eu", "tier:enterprise"], limit: 1000 })).map((o) => o.id)).toContain(id);
      expect((await f.store.listOrganizations({ tags: ["region:us"], limit: 1000 })).map((o) => o.id)).not.toContain(id);
      await f.db.query("UPDATE organizations SET tags = '[]'::jsonb WHERE id = $1", [id]);
      const dirty = await f.store.replay({ swap: true });
      expect(dirty.differences).toContainEqual({ organizationId: id, field: "tags", live: [], replayed: ["region:eu", "tier:enterprise"] });
      expect((await f.store.getOrganization(id))!.tags).toEqual(["region:eu", "tier:enterprise"]);
    });

    test("applying the migrations again changes nothing", async () => {
      expect(await applyMigrations(f.db)).toEqual([]);
    });
  });
}
