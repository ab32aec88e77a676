import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "../../shared/errors.ts";
import { LOG_EVENT_TYPES } from "../../shared/log-events.ts";
import { IDENTIFIER_KINDS } from "../../shared/identifiers.ts";
import { UNMATCHED_KINDS } from "../../shared/login-outcomes.ts";

/**
 * The API's response bodies as zod schemas: the views are typed by them (`z.infer`) and the
 * OpenAPI document is generated from them, so the two cannot drift apart. Each `meta({ id })`
 * becomes a named schema under `components.schemas`. Request bodies are in input.ts.
 */

const count = z.number().int().nonnegative();
const instant = z.string().meta({ description: "ISO 8601 date-time (UTC)", examples: ["2026-01-31T12:00:00.123456Z"] });

export const identifierSchema = z.object({ kind: z.enum(IDENTIFIER_KINDS), value: z.string() }).meta({ id: "Identifier" });

export const organizationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    provider: z.string().meta({ description: "Where its logins go now" }),
    rollbackTo: z.string().nullable().meta({ description: "Where a rollback would go (null: nowhere)" }),
    version: count.meta({ description: "The organization's stream version; also its ETag" }),
    position: count.meta({ description: "Global log position of its last event" }),
    identifiers: z.array(identifierSchema),
    tags: z.array(z.string()),
    updatedAt: instant.optional(),
  })
  .meta({ id: "Organization" });
export type OrganizationJson = z.infer<typeof organizationSchema>;

export const organizationAsOfSchema = organizationSchema
  .extend({ asOf: z.object({ position: count, recordedAt: instant }) })
  .meta({ id: "OrganizationAsOf", description: "The organization as it was at a log position or instant" });

export const organizationPageSchema = z
  .object({ organizations: z.array(organizationSchema), next: z.string().nullable().meta({ description: "Pass as `after` for the next page; null on the last" }) })
  .meta({ id: "OrganizationPage" });

export const routeChangeSchema = z.object({ id: z.string(), provider: z.string(), version: count, position: count }).meta({ id: "RouteChange" });

export const eventSchema = z
  .object({
    position: count,
    streamId: z.string(),
    organizationId: z.string().nullable().meta({ description: "The organization whose stream it is; null for a wave's event (the global log holds waves' events too: see streamId)" }),
    version: count,
    // The global log holds waves' events beside organizations'.
    type: z.enum(LOG_EVENT_TYPES as [string, ...string[]]),
    data: z.record(z.string(), z.unknown()),
    actor: z.string(),
    reason: z.string().nullable(),
    requestId: z.string(),
    idempotencyKey: z.string().nullable(),
    recordedAt: instant,
    eventId: z.string(),
    transactionId: z.string(),
  })
  .meta({ id: "Event" });
export type EventJson = z.infer<typeof eventSchema>;

export const organizationHistorySchema = z.object({ organizationId: z.string(), events: z.array(eventSchema) }).meta({ id: "OrganizationHistory" });

export const eventPageSchema = z
  .object({ events: z.array(eventSchema), next: z.string().meta({ description: "Cursor: pass as `after`" }), hasMore: z.boolean() })
  .meta({ id: "EventPage" });

export const providerHealthSchema = z
  .object({
    provider: z.string(),
    started: count,
    succeeded: count,
    failed: count,
    failedByCode: z.record(z.string(), count),
    silentDeclined: count,
    abandoned: count,
    inFlight: count,
    successRate: z.number().nullable(),
    durationMs: z.object({ median: z.number().nullable(), p95: z.number().nullable() }),
    tokens: z.object({ ok: count, invalidGrant: count, other: count }),
  })
  .meta({ id: "ProviderHealth" });

const failureSchema = z.object({ at: instant, code: z.string().nullable(), provider: z.string(), count });

export const organizationHealthSchema = z
  .object({
    organizationId: z.string(),
    provider: z.string().nullable(),
    since: instant,
    providers: z.array(providerHealthSchema),
    lastFailures: z.array(failureSchema),
    lastMigration: z
      .object({ at: instant, position: count, from: z.string().nullable(), to: z.string().nullable(), before: z.array(providerHealthSchema), after: z.array(providerHealthSchema) })
      .nullable(),
  })
  .meta({ id: "OrganizationHealth" });

export const fleetHealthSchema = z
  .object({
    since: instant,
    providers: z.array(providerHealthSchema.extend({ organizations: count })),
    organizations: z.array(
      z.object({ organizationId: z.string(), started: count, succeeded: count, failed: count, abandoned: count, successRate: z.number().nullable(), providers: z.array(providerHealthSchema) }),
    ),
  })
  .meta({ id: "FleetHealth" });

export const unmatchedListSchema = z
  .object({
    unmatched: z.array(
      z.object({
        kind: z.enum(UNMATCHED_KINDS),
        value: z.string(),
        requestKind: z.string(),
        provider: z.string(),
        count,
        firstSeen: instant,
        lastSeen: instant,
        link: z.object({ kind: z.enum(UNMATCHED_KINDS), value: z.string() }).meta({ description: "The body for POST /v1/organizations/{id}/identifiers" }),
      }),
    ),
  })
  .meta({ id: "UnmatchedList" });

export const preflightResultSchema = z
  .object({
    organizationId: z.string(),
    provider: z.string(),
    passed: z.boolean(),
    checks: z.array(z.object({ kind: z.string(), value: z.string(), passed: z.boolean(), detail: z.string() })),
    checkedAt: instant,
    position: count,
    detail: z.string().optional(),
  })
  .meta({ id: "PreflightResult" });

export const guardStateSchema = z.object({ organizationId: z.string(), guardEnabled: z.boolean().nullable(), version: count, position: count }).meta({ id: "GuardState" });

const waveStatus = z.enum(["running", "paused", "completed", "aborted"]);
const batchHealth = z.object({ rolledBack: z.array(z.string()), successRate: z.number().nullable(), logins: count });

export const waveProgressSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: waveStatus,
    to: z.string(),
    batchSize: count,
    soakMinutes: count,
    guard: z.object({ minSuccessRate: z.number() }),
    batches: z.object({ total: count, done: count }),
    organizations: z.object({ total: count, pending: count, onTarget: count, notOnTarget: count }),
    currentBatch: z.object({ batch: count, organizations: z.array(z.string()), startedAt: instant, soakUntil: instant, soakRemainingSeconds: count }).nullable(),
    pauses: z.array(z.object({ by: z.enum(["guard", "operator"]), reason: z.string(), health: batchHealth.optional() })),
    version: count,
  })
  .meta({ id: "WaveProgress" });

export const waveListSchema = z
  .object({ waves: z.array(z.object({ id: z.string(), name: z.string(), status: waveStatus, to: z.string(), organizations: count, batchesDone: count, batches: count, version: count })) })
  .meta({ id: "WaveList" });

export const waveHistorySchema = z
  .object({
    waveId: z.string(),
    events: z.array(
      z.object({ position: count, version: count, type: z.string(), data: z.record(z.string(), z.unknown()), actor: z.string(), reason: z.string().nullable(), requestId: z.string(), recordedAt: instant, eventId: z.string() }),
    ),
  })
  .meta({ id: "WaveHistory" });

export const replayReportSchema = z
  .object({ events: count, durationMs: z.number(), matched: z.boolean(), differences: z.array(z.record(z.string(), z.unknown())), swapped: z.boolean() })
  .catchall(z.union([z.number(), z.boolean()]))
  .meta({ id: "ReplayReport", description: "Events folded, each projection's figures, and every difference found (up to a bound)" });

export const liveSchema = z.object({ status: z.literal("ok") }).meta({ id: "Live" });
export const readySchema = z
  .object({
    status: z.literal("ready"),
    bus: z.object({ kind: z.string(), connected: z.boolean() }).nullable(),
    horizon: z.object({ ageSeconds: z.number(), pendingEvents: count, stuck: z.boolean() }).nullable(),
  })
  .meta({ id: "Ready" });
export const notReadySchema = z.object({ status: z.literal("store unavailable") }).meta({ id: "NotReady" });

/**
 * An RFC 9457 problem as `services/http/problem.ts` builds it, `code` narrowed to `codes`. Extensions
 * (`field`, `parameter`, `requiredScope`, ...) may follow, so the object stays open.
 */
export const problemSchema = (codes: readonly ErrorCode[] = ERROR_CODES) =>
  z
    .object({
      type: z.string().meta({ examples: ["urn:ssomigrate:problem:organization_not_found"] }),
      title: z.string(),
      status: z.number().int(),
      code: z.enum(codes as [ErrorCode, ...ErrorCode[]]).meta({ description: "Stable; the README's error table says what each means" }),
      detail: z.string(),
      requestId: z.string().optional(),
    })
    .loose();
