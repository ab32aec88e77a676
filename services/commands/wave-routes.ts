import { Hono, type Context } from "hono";
import { z } from "zod";
import { CodedError } from "../../shared/errors.ts";
import { checkOrganizationId } from "../../shared/organization.ts";
import { checkTag } from "../../shared/tags.ts";
import { batchCount, waveStreamIdOf, type PlannedWave, type WaveCommand, type WaveEvent } from "../../shared/wave.ts";
import type { EventStore } from "../../db/event-store.ts";
import { requireScope } from "./auth.ts";
import type { CommandsDeps, CommandsEnv } from "./app.ts";
import { onlyQuery, readJson } from "./input.ts";
import { handleWaveCommand } from "../waves/wave-commands.ts";

export const planBody = z
  .object({
    id: z.string().optional(),
    name: z.string(),
    to: z.string().optional(),
    organizations: z.array(z.string()).optional(),
    selector: z.object({ provider: z.string().optional(), tags: z.array(z.string()).optional() }).strict().optional(),
    batchSize: z.number(),
    soakMinutes: z.number(),
    guard: z.object({ minSuccessRate: z.number() }).strict().optional(),
  })
  .strict();
export const reasonBody = z.object({ reason: z.string().nullish().transform((r) => r ?? "") }).strict();
export const abortBody = z.object({ reason: z.string().nullish().transform((r) => r ?? ""), rollBack: z.boolean().default(false) }).strict();

/** Waves: plan, watch, pause, resume, abort, read the history. The runner (services/waves) drives them. */
export function waveRoutes(deps: CommandsDeps) {
  const read = requireScope(deps.verifyToken, "migrations:read");
  const write = requireScope(deps.verifyToken, "migrations:write");
  const app = new Hono<CommandsEnv>();
  const now = deps.now ?? Date.now;
  const clock = () => new Date(now());

  const run = async (c: Context<CommandsEnv>, command: WaveCommand, reason: string | null) => {
    const outcome = await handleWaveCommand(deps.store, command, { actor: c.get("principal").subject, requestId: c.get("requestId"), reason });
    if (outcome.state.status === "none") throw new Error("a wave command that succeeded left no wave");
    return outcome;
  };

  app.post("/", write, async (c) => {
    const { value } = await readJson(c, planBody);
    const to = value.to ?? deps.providers.defaultTarget;
    if (!deps.providers.ids.includes(to)) throw new CodedError("unknown_provider", `no provider ${JSON.stringify(to.slice(0, 64))} is configured (known: ${deps.providers.ids.join(", ")})`);
    const organizations = await select(deps.store, value, to);
    const waveId = value.id ?? `w-${crypto.randomUUID().slice(0, 8)}`;
    const command = { type: "PlanWave", waveId, name: value.name, to, organizations, batchSize: value.batchSize, soakMinutes: value.soakMinutes, ...(value.guard ? { guard: value.guard } : {}) } as const;
    const outcome = await run(c, command, null);
    return c.json(await progress(deps.store, outcome.state as PlannedWave, outcome.version, clock()), 201, { location: `/v1/waves/${waveId}` });
  });

  app.get("/", read, onlyQuery([]), async (c) => {
    const waves = await deps.store.listWaves();
    return c.json({ waves: waves.map((w) => ({ id: w.state.id, name: w.state.name, status: w.state.status, to: w.state.to, organizations: w.state.organizations.length, batchesDone: w.state.batches.filter((b) => b.soaked).length, batches: batchCount(w.state), version: w.version })) });
  });

  app.get("/:id", read, onlyQuery([]), async (c) => {
    const wave = await deps.store.getWave(waveIdParam(c.req.param("id")));
    if (!wave) throw notFound(c.req.param("id"));
    return c.json(await progress(deps.store, wave.state, wave.version, clock()), 200, { etag: `"${wave.version}"` });
  });

  app.get("/:id/events", read, onlyQuery([]), async (c) => {
    const id = waveIdParam(c.req.param("id"));
    const history = await deps.store.readStream<WaveEvent>(waveStreamIdOf(id));
    if (history.length === 0) throw notFound(id);
    return c.json({
      waveId: id,
      events: history.map((e) => ({ position: e.position, version: e.streamVersion, type: e.type, data: e.data, actor: e.metadata.actor, reason: e.metadata.reason, requestId: e.metadata.requestId, recordedAt: e.recordedAt, eventId: e.eventId })),
    });
  });

  for (const action of ["pause", "resume"] as const) {
    app.post(`/:id/${action}`, write, async (c) => {
      const { value } = await readJson(c, reasonBody);
      const type = action === "pause" ? "PauseWave" : "ResumeWave";
      const outcome = await run(c, { type, waveId: waveIdParam(c.req.param("id")), reason: value.reason }, value.reason);
      return c.json(await progress(deps.store, outcome.state as PlannedWave, outcome.version, clock()));
    });
  }

  app.post("/:id/abort", write, async (c) => {
    const { value } = await readJson(c, abortBody);
    const outcome = await run(c, { type: "AbortWave", waveId: waveIdParam(c.req.param("id")), reason: value.reason, rollBack: value.rollBack }, value.reason);
    return c.json(await progress(deps.store, outcome.state as PlannedWave, outcome.version, clock()));
  });

  return app;
}

const WAVE_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** A path id that cannot name a wave is simply not found (never sent to the store as is). */
const waveIdParam = (id: string): string => {
  if (!WAVE_ID.test(id)) throw notFound(id);
  return id;
};
const notFound = (id: string) => new CodedError("wave_not_found", `wave ${JSON.stringify(id.slice(0, 64))} does not exist`);

/**
 * The wave's organizations, frozen in order: the ids given (each must exist), or every
 * organization the selector matches (by current provider and tags, by id), leaving out those
 * already on the wave's provider.
 */
async function select(store: EventStore, body: z.infer<typeof planBody>, to: string): Promise<string[]> {
  if (body.organizations && body.selector) throw new CodedError("invalid_request", "give organizations or selector, not both");
  if (body.organizations) {
    for (const id of body.organizations) {
      if (!(await store.getOrganization(checkOrganizationId(id)))) throw new CodedError("organization_not_found", `organization ${id} does not exist`);
    }
    return body.organizations;
  }
  if (!body.selector) throw new CodedError("invalid_request", "give organizations (ids) or a selector ({provider?, tags?})");
  const tags = (body.selector.tags ?? []).map(checkTag);
  const selected: string[] = [];
  for (let after: string | undefined; ; ) {
    const page = await store.listOrganizations({ limit: 1000, tags, ...(body.selector.provider ? { provider: body.selector.provider } : {}), ...(after ? { after } : {}) });
    selected.push(...page.filter((o) => o.provider !== to).map((o) => o.id));
    if (page.length < 1000) break;
    after = page.at(-1)!.id;
  }
  if (selected.length === 0) throw new CodedError("wave_selects_nothing", "the selector matches no organization that is not already on the wave's provider");
  return selected;
}

/** Progress as operators watch it: batches done, organizations per state, the current batch and its soak, pauses with reasons. */
async function progress(store: EventStore, wave: PlannedWave, version: number, now: Date) {
  const started = wave.batches.flatMap((b) => b.organizations);
  const providers = await Promise.all(started.map(async (id) => (await store.getOrganization(id))?.provider));
  const migrated = providers.filter((p) => p === wave.to).length;
  const current = wave.batches.find((b) => !b.soaked);
  return {
    id: wave.id,
    name: wave.name,
    status: wave.status,
    to: wave.to,
    batchSize: wave.batchSize,
    soakMinutes: wave.soakMinutes,
    guard: wave.guard,
    batches: { total: batchCount(wave), done: wave.batches.filter((b) => b.soaked).length },
    organizations: { total: wave.organizations.length, pending: wave.organizations.length - started.length, onTarget: migrated, notOnTarget: started.length - migrated },
    currentBatch: current
      ? { batch: current.batch + 1, organizations: current.organizations, startedAt: current.startedAt, soakUntil: current.soakUntil, soakRemainingSeconds: Math.max(0, Math.ceil((Date.parse(current.soakUntil) - now.getTime()) / 1000)) }
      : null,
    pauses: wave.pauses,
    version,
  };
}
