import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { CodedError } from "../../shared/errors.ts";
import { withinMs } from "../../shared/within-ms.ts";
import type { ProviderCatalog } from "../../shared/providers.ts";
import type { EventStore } from "../../db/event-store.ts";
import type { HorizonReading } from "../../db/horizon.ts";
import { errorHandler, problem } from "../http/problem.ts";
import { allowedMethods } from "../http/allowed-methods.ts";
import type { Log } from "../http/log.ts";
import { internalEnv, requireScope, type Principal, type VerifyToken } from "./auth.ts";
import type { AppendedChange } from "./execute-command.ts";
import { onlyQuery } from "./input.ts";
import { logRoutes } from "./log-routes.ts";
import { organizationRoutes } from "./organization-routes.ts";
import { healthRoutes } from "./health-routes.ts";
import type { OutcomeStore } from "../../db/outcome-store.ts";
import type { UnmatchedStore } from "../../db/unmatched-store.ts";
import { unmatchedRoutes } from "./unmatched-routes.ts";
import { preflightRoutes } from "./preflight-routes.ts";
import type { Preflight } from "./preflight.ts";
import { waveRoutes } from "./wave-routes.ts";
import { describeApi, openApiDocument } from "./api-description.ts";
import { referenceRoutes } from "./reference-page.ts";

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
  /** Reads the transaction horizon's age, for /readyz and /metrics. */
  horizon?: () => Promise<HorizonReading>;
  /** Past this age /readyz reports the horizon stuck (the API stays ready: commands still commit). */
  horizonMaxAgeMs?: number;
  /** Routers' login outcome counts (issue 12); without it the health endpoints answer 404. */
  outcomes?: OutcomeStore;
  /** Unmatched traffic (issue 12 §2); without it GET /v1/unmatched answers 404. */
  unmatched?: UnmatchedStore;
  /** Probes a provider for an organization (issue 12 preflight); without it POST .../preflight answers 422. */
  preflight?: Preflight;
  /** `migrate` refuses without a passing preflight newer than `maxAgeMinutes` when `required` (or when the command asks). */
  preflightPolicy?: { required: boolean; maxAgeMinutes: number };
  /** A flow's longest life (the pin's): past it, a flow that did not end is abandoned. */
  flowTtlMs?: number;
  /** Now, in milliseconds: health windows, preflight times and ages, waves' soak times (injected in tests). */
  now?: () => number;
  /**
   * The web console (issue 14 §3), mounted at /console. Built with `api`, which runs a request
   * through this app's own routes as a signed-in operator: the console's writes take the API's
   * command path (validation, events, idempotency, scope checks), never a second one.
   */
  console?: (api: ApiDispatch) => Hono<any>;
};

/** Runs `request` (a `/v1/...` URL) through the API as `principal`, as if it had sent a valid bearer token. */
export type ApiDispatch = (request: Request, principal: Principal) => Promise<Response>;

export type CommandsEnv = { Variables: { principal: Principal; requestId: string } };

const MAX_BODY = 64 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** How long a /metrics scrape waits for the store before reporting it down. */
const METRICS_STORE_BUDGET_MS = 2000;


/** The command API: validates commands, appends events, serves history and replay. */
export function createCommandsApp(deps: CommandsDeps): Hono<CommandsEnv> {
  const app = new Hono<CommandsEnv>();
  app.onError(errorHandler(deps.log));
  const methodsAt = allowedMethods(app.routes);
  app.notFound((c) => {
    const allowed = methodsAt(c.req.path);
    if (allowed.length === 0) return problem("not_found", `no route for ${c.req.method} ${c.req.path}`, { requestId: c.get("requestId") });
    const refused = problem("method_not_allowed", `${c.req.path} answers ${allowed.join(", ")}, not ${c.req.method}`, { requestId: c.get("requestId") });
    refused.headers.set("allow", allowed.join(", "));
    return refused;
  });

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

  // Commands take everything in their body: a query parameter on one is a mistake, not something to ignore.
  app.use("/v1/*", async function commandsTakeNoQuery(c, next) {
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && new URL(c.req.url).search !== "") {
      throw new CodedError("invalid_request", `${c.req.method} ${c.req.path} takes no query parameters; send them in the JSON body`);
    }
    await next();
  });

  // Each route's OpenAPI description, registered ahead of the routes (it only passes the request on).
  describeApi(app);

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  // Ready while the store answers (within the database timeout). A stuck horizon or a bus that is down does not make
  // the API unready (commands still commit), but the body says so.
  app.get("/readyz", async (c) => {
    try {
      await deps.store.listOrganizations({ limit: 1 });
      const horizon = deps.horizon ? await deps.horizon() : null;
      return c.json({
        status: "ready",
        bus: deps.bus ? { kind: deps.bus.kind, connected: deps.bus.connected() } : null,
        horizon: horizon ? { ageSeconds: horizon.ageSeconds, pendingEvents: horizon.pending, stuck: horizon.ageSeconds * 1000 > (deps.horizonMaxAgeMs ?? 30_000) } : null,
      });
    } catch {
      return c.json({ status: "store unavailable" }, 503);
    }
  });

  app.get("/metrics", async (c) => {
    // A scrape never waits for a silent store longer than its budget: the store then counts as down.
    const horizon = deps.horizon ? await withinMs(METRICS_STORE_BUDGET_MS, deps.horizon()).catch(() => null) : undefined;
    return c.text(
      [
        "# HELP ssomig_hints_published_total Route hints sent to routers after a commit.",
        "# TYPE ssomig_hints_published_total counter",
        `ssomig_hints_published_total ${deps.hints?.published ?? 0}`,
        "# HELP ssomig_hint_publish_failures_total Route hints that could not be sent (routers catch up by polling).",
        "# TYPE ssomig_hint_publish_failures_total counter",
        `ssomig_hint_publish_failures_total ${deps.hints?.failed ?? 0}`,
        ...(horizon === undefined
          ? []
          : [
              "# HELP ssomig_store_up 1 when the event store answered this scrape within 2 s.",
              "# TYPE ssomig_store_up gauge",
              `ssomig_store_up ${horizon ? 1 : 0}`,
              ...(horizon
                ? [
                    "# HELP ssomig_horizon_age_seconds Seconds the oldest committed write has waited behind the transaction horizon.",
                    "# TYPE ssomig_horizon_age_seconds gauge",
                    `ssomig_horizon_age_seconds ${horizon.ageSeconds}`,
                  ]
                : []),
            ]),
        "",
      ].join("\n"),
      200,
      { "content-type": "text/plain; version=0.0.4" },
    );
  });

  app.route("/v1", healthRoutes(deps));
  app.route("/v1/unmatched", unmatchedRoutes(deps));
  app.route("/v1/organizations", preflightRoutes(deps));
  app.route("/v1/organizations", organizationRoutes(deps));
  app.route("/v1/events", logRoutes(deps));
  app.route("/v1/waves", waveRoutes(deps));

  const admin = requireScope(deps.verifyToken, "admin");
  app.post("/v1/replay", admin, async (c) => {
    // Replay takes no options: a body that asks for something it would not do is refused, not ignored.
    const body = (await c.req.text()).trim();
    if (body !== "" && body !== "{}") throw new CodedError("invalid_request", "POST /v1/replay takes no body (it always rebuilds every projection from the whole log)");
    return c.json(await deps.store.replay({ swap: true }));
  });
  app.get("/v1/replay/verify", admin, onlyQuery([]), async (c) => c.json(await deps.store.replay({ swap: false })));

  // The API's description (no token: it is public knowledge) and its reference page, from the routes' own descriptions.
  let document: ReturnType<typeof openApiDocument> | undefined;
  app.get("/openapi.json", async (c) => {
    document ??= openApiDocument(app).catch((error: unknown) => {
      document = undefined;
      throw error;
    });
    return c.json(await document);
  });
  app.route("/", referenceRoutes());

  if (deps.console) {
    const dispatch: ApiDispatch = async (request, principal) => app.fetch(request, internalEnv(principal));
    app.route("/console", deps.console(dispatch));
  }
  return app;
}
