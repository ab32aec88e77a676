/** @jsxImportSource hono/jsx */
import { Hono } from "hono";
import type { ApiDispatch } from "../commands/app.ts";
import { grants } from "../commands/auth.ts";
import { chromeOf, render, requireConsoleScope, type ConsoleDeps, type ConsoleEnv } from "./app.tsx";
import { ApiRefusalPage } from "./organization.tsx";
import { actionsFor, WAVE_ACTIONS, WaveConfirmPage, WavesPage } from "./wave-pages.tsx";

const WAVE_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Waves: the list, and pause / resume / abort (a reason, a confirmation, then the API's own route as the operator). */
export function wavePages(deps: ConsoleDeps, api: ApiDispatch) {
  const app = new Hono<ConsoleEnv>();
  const write = requireConsoleScope("migrations:write");

  app.get("/", async (c) => {
    // The notice repeats the wave's state from the store, never words from the URL.
    const doneId = c.req.query("done");
    const done = doneId && WAVE_ID.test(doneId) ? await deps.store.getWave(doneId) : null;
    return render(
      c,
      <WavesPage
        chrome={chromeOf(c, "/console/waves")}
        waves={await deps.store.listWaves()}
        canWrite={grants(c.get("session").scopes, "migrations:write")}
        done={done ? `Wave ${done.state.id} is now ${done.state.status}.` : null}
      />,
    );
  });

  app.post("/:id/confirm", write, async (c) => {
    const id = c.req.param("id") ?? "";
    const form = await c.req.parseBody();
    const wave = WAVE_ID.test(id) ? await deps.store.getWave(id) : null;
    const action = WAVE_ACTIONS.find((a) => a === form.action);
    if (!wave || !action) return render(c, <ApiRefusalPage chrome={chromeOf(c)} title="Nothing to confirm" code="invalid_request" detail="unknown wave or action" back="/console/waves" />, 400);
    const reason = typeof form.reason === "string" ? form.reason.trim() : "";
    if (reason === "") return render(c, <ApiRefusalPage chrome={chromeOf(c)} title="A reason is required" code="reason_required" detail="say why: the reason is recorded with the event" back="/console/waves" />, 422);
    if (!actionsFor(wave.state).includes(action)) {
      return render(c, <ApiRefusalPage chrome={chromeOf(c)} title="Not possible now" code="invalid_request" detail={`wave ${wave.state.id} is ${wave.state.status}: it cannot ${action}`} back="/console/waves" />, 409);
    }
    return render(c, <WaveConfirmPage chrome={chromeOf(c)} wave={wave.state} action={action} reason={reason} />);
  });

  for (const action of WAVE_ACTIONS) {
    app.post(`/:id/${action}`, write, async (c) => {
      const id = c.req.param("id") ?? "";
      const form = await c.req.parseBody();
      const reason = typeof form.reason === "string" ? form.reason : "";
      const body = action === "abort" ? { reason, rollBack: form.rollBack === "yes" } : { reason };
      const answer = await api(
        new Request(`http://console.internal/v1/waves/${encodeURIComponent(id)}/${action}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-request-id": c.get("requestId") },
          body: JSON.stringify(body),
        }),
        c.get("principal"),
      );
      const result = (await answer.json()) as Record<string, unknown>;
      if (!answer.ok) return render(c, <ApiRefusalPage chrome={chromeOf(c)} title="Not done" code={String(result.code)} detail={String(result.detail)} back="/console/waves" />, answer.status);
      return c.redirect(`/console/waves?${new URLSearchParams({ done: String(result.id) })}`, 303);
    });
  }
  return app;
}
