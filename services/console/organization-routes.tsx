/** @jsxImportSource hono/jsx */
import { Hono } from "hono";
import { streamIdOf } from "../../shared/events.ts";
import { checkTag } from "../../shared/tags.ts";
import type { ApiDispatch } from "../commands/app.ts";
import { grants } from "../commands/auth.ts";
import { organizationIdParam } from "../commands/input.ts";
import { chromeOf, render, requireConsoleScope, type ConsoleContext, type ConsoleDeps, type ConsoleEnv } from "./app.tsx";
import { ACTIONS, ApiRefusalPage, OrganizationConfirmPage, OrganizationPage, type Action, type OrganizationHealth } from "./organization.tsx";
import { OrganizationsPage } from "./pages.tsx";
import { describeEvent } from "./describe-event.ts";

const PAGE = 50;

/** Organizations: search, one organization, and its migrate / rollback / preflight actions (a reason, a confirmation, then the API). */
export function organizationPages(deps: ConsoleDeps, api: ApiDispatch) {
  const app = new Hono<ConsoleEnv>();
  const write = requireConsoleScope("migrations:write");

  app.get("/", async (c) => {
    const query = { q: (c.req.query("q") ?? "").trim(), provider: c.req.query("provider") ?? "", tag: (c.req.query("tag") ?? "").trim() };
    const after = c.req.query("after") || undefined;
    const found = await deps.store.listOrganizations({
      limit: PAGE + 1,
      ...(query.q ? { search: query.q.slice(0, 200) } : {}),
      ...(query.provider && deps.providers.ids.includes(query.provider) ? { provider: query.provider } : {}),
      ...(query.tag ? { tags: [checkTag(query.tag)] } : {}),
      ...(after ? { after: organizationIdParam(after) } : {}),
    });
    const shown = found.slice(0, PAGE);
    return render(c, <OrganizationsPage chrome={chromeOf(c, "/console/organizations")} found={shown} next={found.length > PAGE ? shown.at(-1)!.id : null} query={query} providers={[...deps.providers.ids]} />);
  });

  app.get("/:id", async (c) => {
    const id = organizationIdParam(c.req.param("id"));
    const organization = await deps.store.getOrganization(id);
    if (!organization) return render(c, <ApiRefusalPage chrome={chromeOf(c)} title="No such organization" code="organization_not_found" detail={`organization ${id} does not exist`} back="/console/organizations" />, 404);
    const events = (await deps.store.readStream(streamIdOf(id))).reverse();
    const health = await readApi<OrganizationHealth>(c, api, `/v1/organizations/${encodeURIComponent(id)}/health`);
    // The notice after an action names the event at the position it committed: only the log's own words, never the query's.
    const at = Number(c.req.query("done"));
    const doneEvent = Number.isSafeInteger(at) ? events.find((e) => e.position === at) : undefined;
    return render(
      c,
      <OrganizationPage
        chrome={chromeOf(c)}
        organization={organization}
        events={events}
        health={health}
        providers={[...deps.providers.ids]}
        defaultTarget={deps.providers.defaultTarget}
        canWrite={grantsWrite(c)}
        done={doneEvent ? `Done: ${describeEvent(doneEvent)} (log position ${doneEvent.position}).` : null}
      />,
    );
  });

  // Step one: the reason was given; show what will happen and ask to confirm.
  app.post("/:id/confirm", write, async (c) => {
    const id = organizationIdParam(c.req.param("id"));
    const form = await c.req.parseBody();
    const action = ACTIONS.find((a) => a === form.action);
    const organization = await deps.store.getOrganization(id);
    if (!action || !organization) return render(c, <ApiRefusalPage chrome={chromeOf(c)} title="Nothing to confirm" code="invalid_request" detail="unknown action or organization" back="/console/organizations" />, 400);
    const reason = typeof form.reason === "string" ? form.reason.trim() : "";
    const back = `/console/organizations/${encodeURIComponent(id)}`;
    if (reason === "") return render(c, <ApiRefusalPage chrome={chromeOf(c)} title="A reason is required" code="reason_required" detail="say why: the reason is recorded with the event" back={back} />, 422);
    const to = action === "rollback" ? null : typeof form.to === "string" && form.to !== "" ? form.to : deps.providers.defaultTarget;
    return render(c, <OrganizationConfirmPage chrome={chromeOf(c)} organization={organization} action={action} reason={reason} to={to} idempotencyKey={crypto.randomUUID()} />);
  });

  // Step two: the API's own route, as the signed-in operator, with the form's idempotency key (a second click appends nothing).
  for (const action of ACTIONS) {
    app.post(`/:id/${action}`, write, async (c) => {
      const id = organizationIdParam(c.req.param("id"));
      const form = await c.req.parseBody();
      const text = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : undefined);
      const body = action === "rollback" ? { reason: text("reason") ?? "" } : { reason: text("reason") ?? "", ...(text("to") ? { to: text("to") } : {}) };
      const key = text("idempotencyKey");
      const answer = await api(
        new Request(`http://console.internal/v1/organizations/${encodeURIComponent(id)}/${action}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-request-id": c.get("requestId"), ...(key ? { "idempotency-key": key } : {}) },
          body: JSON.stringify(body),
        }),
        c.get("principal"),
      );
      const result = (await answer.json()) as Record<string, unknown>;
      const back = `/console/organizations/${encodeURIComponent(id)}`;
      if (!answer.ok) return render(c, <ApiRefusalPage chrome={chromeOf(c)} title="Not done" code={String(result.code)} detail={String(result.detail)} back={back} />, answer.status);
      return c.redirect(`${back}?done=${Number(result.position)}`, 303);
    });
  }
  return app;
}

const grantsWrite = (c: ConsoleContext) => grants(c.get("session").scopes, "migrations:write");

/** A GET through the API as the operator: its JSON, or null when this service does not keep that (404 not_found). */
async function readApi<T>(c: ConsoleContext, api: ApiDispatch, path: string): Promise<T | null> {
  const answer = await api(new Request(`http://console.internal${path}`, { headers: { "x-request-id": c.get("requestId") } }), c.get("principal"));
  if (answer.status === 404) return null;
  if (!answer.ok) throw new Error(`${path} answered ${answer.status}`);
  return (await answer.json()) as T;
}
