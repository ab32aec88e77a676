import { Hono } from "hono";
import { z } from "zod";
import { CodedError } from "../../shared/errors.ts";
import { streamIdOf } from "../../shared/events.ts";
import { fold, optionalReason } from "../../shared/organization.ts";
import { requireScope } from "./auth.ts";
import type { CommandsDeps, CommandsEnv } from "./app.ts";
import { executeCommand, executePreparedCommand } from "./execute-command.ts";
import { fingerprint, idempotencyKeyFrom, readJson } from "./input.ts";

export const preflightBody = z.object({ to: z.string().max(32).optional(), reason: z.string().optional() }).strict();
export const guardBody = z.object({ enabled: z.boolean() }).strict();

/**
 * `POST /v1/organizations/{id}/preflight {to?}`: probes the destination (default: the target
 * provider) for the organization and appends the result as `PreflightRecorded`, so the audit log
 * shows what was checked before a move. A failing preflight is recorded too, and answered 200 with
 * `passed: false`: the check ran; it is the provider that is not ready.
 */
export function preflightRoutes(deps: CommandsDeps) {
  const write = requireScope(deps.verifyToken, "migrations:write");
  const app = new Hono<CommandsEnv>();
  app.post("/:id/preflight", write, async (c) => {
    const preflight = deps.preflight;
    if (!preflight) throw new CodedError("preflight_not_configured", "this command service cannot reach the providers");
    const id = c.req.param("id");
    const { value, raw } = c.req.header("content-type") ? await readJson(c, preflightBody) : { value: {} as z.infer<typeof preflightBody>, raw: "" };
    const provider = value.to ?? deps.providers.defaultTarget;
    if (!deps.providers.ids.includes(provider)) throw new CodedError("unknown_provider", `no provider ${provider} is configured`);
    const reason = optionalReason(value.reason);
    const key = idempotencyKeyFrom(c.req.header("idempotency-key"));
    // The probes run after the key is claimed: a retry gets the first answer, and neither probes nor records again.
    const stored = await executePreparedCommand(
      deps,
      id,
      async (streams) => {
        const state = fold(await streams.readStream(streamIdOf(id)));
        if (state.status !== "registered") throw new CodedError("organization_not_found", `organization ${id} does not exist`);
        const checks = await preflight(provider, state.identifiers);
        const checkedAt = new Date((deps.now ?? Date.now)()).toISOString();
        return { type: "RecordPreflight", organizationId: id, provider, checks, checkedAt } as const;
      },
      {
        actor: c.get("principal").subject,
        requestId: c.get("requestId"),
        reason,
        ...(key ? { idempotency: { key, fingerprint: await fingerprint(c.req.method, c.req.path, raw) } } : {}),
      },
      (o, command) => {
        const passed = o.state.status === "registered" && o.state.preflight?.passed === true;
        const body = { organizationId: id, provider, passed, checks: command.checks, checkedAt: command.checkedAt, position: o.position };
        return { status: 200, body: command.checks.length === 0 ? { ...body, detail: "no identifier can start a flow (link a connection or a domain)" } : body };
      },
    );
    return c.json(stored.body, 200);
  });

  // `PUT /v1/organizations/{id}/guard {enabled}`: the guard's per-organization switch, as an event.
  app.put("/:id/guard", write, async (c) => {
    const id = c.req.param("id");
    const { value } = await readJson(c, guardBody);
    const stored = await executeCommand(
      deps,
      { type: "SetGuard", organizationId: id, enabled: value.enabled },
      { actor: c.get("principal").subject, requestId: c.get("requestId"), reason: null },
      (o) => ({ status: 200, body: { organizationId: id, guardEnabled: o.state.status === "registered" ? (o.state.guardEnabled ?? true) : null, version: o.version, position: o.position } }),
    );
    return c.json(stored.body, 200);
  });
  return app;
}
