import { sql } from "drizzle-orm";
import type { EventMetadata } from "../shared/events.ts";
import type { PlannedWave } from "../shared/wave.ts";
import { bigint, bigserial, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";

/** PostgreSQL's 64-bit transaction id; carried as text in TypeScript. */
const xid8 = customType<{ data: string }>({ dataType: () => "xid8" });

/** The log. Append-only: a trigger (migration 0001) refuses UPDATE, DELETE and TRUNCATE. */
export const events = pgTable(
  "events",
  {
    position: bigserial("position", { mode: "number" }).primaryKey(),
    streamId: text("stream_id").notNull(),
    streamVersion: integer("stream_version").notNull(),
    eventId: uuid("event_id").notNull().unique(),
    type: text("type").notNull(),
    data: jsonb("data").notNull(),
    metadata: jsonb("metadata").$type<EventMetadata>().notNull(),
    transactionId: xid8("transaction_id").notNull().default(sql`pg_current_xact_id()`),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("events_stream_version").on(t.streamId, t.streamVersion),
    index("events_transaction_position").on(t.transactionId, t.position),
    index("events_recorded_at").on(t.recordedAt),
  ],
);

/** One row per stream: the row an append locks and advances with the expected version. */
export const streams = pgTable("streams", {
  streamId: text("stream_id").primaryKey(),
  version: integer("version").notNull(),
});

/**
 * A retried request with the same key gets the first result and appends nothing. Keys belong to
 * the caller (the token's `sub`): one operator's key never answers another's request. `result`
 * is the command's result as JSON text (jsonb would reorder keys); the HTTP layer builds the
 * answer from it after the commit, the same way for the first request and its retries. Keys
 * stored before `result` existed keep the HTTP answer they were sent (`status`, `body`) and
 * `result` NULL; new keys leave `status` 0 and `body` empty.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    subject: text("subject").notNull(),
    key: text("key").notNull(),
    fingerprint: text("fingerprint").notNull(),
    status: integer("status").notNull(),
    body: text("body").notNull(),
    result: text("result"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: "idempotency_keys_subject_key_pk", columns: [t.subject, t.key] })],
);

/**
 * The projection the routers read: current provider per organization. `position` and
 * `transaction_id` are those of the last event that changed the row, so a router can read
 * what changed since its own checkpoint.
 */
export const organizations = pgTable(
  "organizations",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    provider: text("provider").notNull(),
    version: integer("version").notNull(),
    position: bigint("position", { mode: "number" }).notNull(),
    transactionId: xid8("transaction_id").notNull(),
    rollbackTo: jsonb("rollback_to").$type<string[]>().notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
    /** Sorted; `tags @> '["tier:enterprise"]'` selects by tag (GIN index). */
    tags: jsonb("tags").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  },
  (t) => [
    index("organizations_transaction_position").on(t.transactionId, t.position),
    index("organizations_provider").on(t.provider),
    index("organizations_tags").using("gin", t.tags),
  ],
);

/** An identifier belongs to at most one organization: the primary key enforces it across all streams. */
export const identifiers = pgTable(
  "identifiers",
  {
    kind: text("kind").notNull(),
    value: text("value").notNull(),
    organizationId: text("organization_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.value] }), index("identifiers_organization").on(t.organizationId)],
);

/**
 * Routers' login outcome counts (issue 12): an operational read model, not the event log. One
 * row per (organization, provider, minute the flow started, outcome, error code), added to by
 * every flush; `durations` is a histogram over DURATION_BOUNDS_MS (shared/login-outcomes.ts).
 * `organization_id` is '' for traffic that matched no organization. Rows older than the
 * retention setting are deleted.
 */
export const loginOutcomes = pgTable(
  "login_outcomes",
  {
    organizationId: text("organization_id").notNull(),
    provider: text("provider").notNull(),
    minute: timestamp("minute", { withTimezone: true }).notNull(),
    outcome: text("outcome").notNull(),
    code: text("code").notNull(),
    count: bigint("count", { mode: "number" }).notNull(),
    durations: integer("durations").array(),
  },
  (t) => [primaryKey({ name: "login_outcomes_pkey", columns: [t.organizationId, t.provider, t.minute, t.outcome, t.code] }), index("login_outcomes_minute").on(t.minute)],
);

/**
 * Identifiers seen on traffic that matched no organization (issue 12): what an operator has not
 * registered yet. Bounded: the command service keeps the most frequent rows per kind. Linking
 * the identifier deletes its row.
 */
export const unmatchedIdentifiers = pgTable(
  "unmatched_identifiers",
  {
    kind: text("kind").notNull(),
    value: text("value").notNull(),
    requestKind: text("request_kind").notNull(),
    provider: text("provider").notNull(),
    count: bigint("count", { mode: "number" }).notNull(),
    firstSeen: timestamp("first_seen", { withTimezone: true }).notNull(),
    lastSeen: timestamp("last_seen", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ name: "unmatched_identifiers_pkey", columns: [t.kind, t.value] }), index("unmatched_identifiers_count").on(t.kind, t.count)],
);

/** The wave projection: each wave's folded state, for progress reads and the runner's list of waves to drive. */
export const waves = pgTable(
  "waves",
  {
    id: text("id").primaryKey(),
    status: text("status").notNull(),
    state: jsonb("state").$type<PlannedWave>().notNull(),
    version: integer("version").notNull(),
    position: bigint("position", { mode: "number" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("waves_status").on(t.status)],
);

/**
 * Organizations in a wave that is running or paused: an organization is in at most one such
 * wave, enforced by the primary key inside the append transaction (as identifiers are).
 */
export const waveMembers = pgTable("wave_members", {
  organizationId: text("organization_id").primaryKey(),
  waveId: text("wave_id").notNull(),
});

/**
 * Who drives what: a runner holds a named lease (e.g. `wave-runner`) until `expiresAt` and renews
 * it while it runs; another replica takes it over only once it expired. Works the same on
 * PostgreSQL and PGlite, and a crashed holder's lease simply runs out.
 */
export const leases = pgTable("leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});
