import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { CodedError } from "../../shared/errors.ts";
import type { ProviderCatalog } from "../../shared/providers.ts";
import type { EventStore } from "../../db/event-store.ts";
import { errorHandler, problem } from "../http/problem.ts";
import type { Log } from "../http/log.ts";
import { requireScope, type Principal, type VerifyToken } from "./auth.ts";
import type { AppendedChange } from "./execute-command.ts";
import { onlyQuery } from "./input.ts";
import { logRoutes } from "./log-routes.ts";
import { organizationRoutes } from "./organization-routes.ts";
import { waveRoutes } from "./wave-routes.ts";

export type CommandsDeps = {
  store: EventStore;
  providers: ProviderCatalog;
  verifyToken: VerifyToken;
  log: Log;
  /** Called after each committed append (the propagation hint). */
  onAppended?: (change: AppendedChange) => void;
  /** Hint counters, for /metrics. */
  hints?: { published: number; failed: number };
  /** The hint bus, as /readyz reports it (a bus that is down does not make the API unready). */
  bus?: { kind: string; connected(): boolean };
  /** Now, for waves' soak times (injected in tests). */
  clock?: () => Date;
};

export type CommandsEnv = { Variables: { principal: Principal; requestId: string } };

const MAX_BODY = 64 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The command API: validates commands, appends events, serves history and replay. */
export function createCommandsApp(deps: CommandsDeps): Hono<CommandsEnv> {
  const app = new Hono<CommandsEnv>();
  app.onError(errorHandler(deps.log));
  app.notFound((c) => problem("not_found", `no route for ${c.req.method} ${c.req.path}`, { requestId: c.get("requestId") }));

  app.use(async function requestContext(c, next) {
    const given = c.req.header("x-request-id");
    const requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set("requestId", requestId);
    const started = performance.now();
    await next();
    c.header("x-request-id", requestId);
    const principal = c.get("principal");
    // A refusal's code and reason go in its request line (a bad token's included: the reason names the rule, never the token).
    const refusal = c.error instanceof CodedError ? { code: c.error.code, reason: c.error.message } : {};
    deps.log({ msg: "request", requestId, method: c.req.method, path: c.req.path, status: c.res.status, durationMs: +(performance.now() - started).toFixed(2), actor: principal?.subject ?? null, ...refusal });
  });
  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: MAX_BODY,
      onError: () => {
        throw new CodedError("body_too_large", `bodies are limited to ${MAX_BODY} bytes`);
      },
    }),
  );

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    try {
      await deps.store.listOrganizations({ limit: 1 });
      return c.json({ status: "ready", bus: deps.bus ? { kind: deps.bus.kind, connected: deps.bus.connected() } : null });
    } catch {
      return c.json({ status: "store unavailable" }, 503);
    }
  });

  app.get("/metrics", (c) =>
    c.text(
      [
        "# HELP ssomig_hints_published_total Route hints sent to routers after a commit.",
        "# TYPE ssomig_hints_published_total counter",
        `ssomig_hints_published_total ${deps.hints?.published ?? 0}`,
        "# HELP ssomig_hint_publish_failures_total Route hints that could not be sent (routers catch up by polling).",
        "# TYPE ssomig_hint_publish_failures_total counter",
        `ssomig_hint_publish_failures_total ${deps.hints?.failed ?? 0}`,
        "",
      ].join("\n"),
      200,
      { "content-type": "text/plain; version=0.0.4" },
    ),
  );

  app.route("/v1/organizations", organizationRoutes(deps));
  app.route("/v1/events", logRoutes(deps));
  app.route("/v1/waves", waveRoutes(deps));

  const admin = requireScope(deps.verifyToken, "admin");
  app.post("/v1/replay", admin, async (c) => c.json(await deps.store.replay({ swap: true })));
  app.get("/v1/replay/verify", admin, onlyQuery([]), async (c) => c.json(await deps.store.replay({ swap: false })));
  return app;
}
