import { classifyFlowEnd, classifyTokenAnswer, isCallback, tokenErrorWorthReading, type FlowEnd } from "../../shared/routing/flow-outcome.ts";
import type { RequestKind } from "../../shared/routing/classify-request.ts";
import type { FlowClaims, Pin, RouteDecision } from "../../shared/routing/resolve-organization.ts";
import type { RouterMetrics } from "./metrics.ts";
import type { OutcomeRecorder } from "./outcome-recorder.ts";

export type ObservedAnswer = {
  kind: RequestKind;
  decision: RouteDecision;
  /** The provider that answered (a credential request may end on another than the decision's). */
  answeredBy: string;
  response: Response;
  /** The flow this request started (its pin is being set on the answer), or null. */
  startedFlow: FlowClaims | null;
  /** The request's pin, read at most once per request (resolution may have read it already). */
  readPin: () => Promise<Pin | null>;
};

/**
 * Counts a provider answer's part in a login (issue 12): a flow started, a flow ended (see
 * shared/routing/flow-outcome.ts), or a token exchange. Headers only, except a token endpoint's
 * small JSON error answer, read from a clone after the client has its copy (for `invalid_grant`).
 * Never throws into the request, never keeps a code, token, assertion or description.
 */
export type OutcomeObserver = {
  /** A new flow's claims for its pin: an id and its start. */
  newFlow(postPage: boolean): FlowClaims;
  observe(answer: ObservedAnswer): void;
};

export function outcomeObserver(deps: { recorder: OutcomeRecorder; metrics: RouterMetrics; publicOrigin: string; now?: () => number }): OutcomeObserver {
  const now = deps.now ?? Date.now;
  const { recorder, metrics } = deps;
  // Flow ids only need to be unique (the pin that carries them is signed): a random per-process prefix and a counter, short and cheap.
  const prefix = crypto.randomUUID().slice(0, 5);
  let flows = 0;
  return { newFlow: (postPage) => ({ id: `${prefix}${(++flows).toString(36)}`, startedMs: now(), postPage }), observe };

  function observe(a: ObservedAnswer): void {
    const organizationId = a.decision.organizationId;
    if (a.kind === "token") return tokenAnswer(organizationId, a.answeredBy, a.response);
    if (a.startedFlow) {
      recorder.flowStarted(organizationId, a.answeredBy, a.startedFlow);
      metrics.loginOutcome(a.answeredBy, "started");
    }
    // Headers are read only when they can matter (in Bun, touching `headers` at all builds them):
    // a redirect's Location, and a callback's 200 page type.
    const { status } = a.response;
    const samlResponse = a.decision.saml?.type === "Response";
    const answer = {
      kind: a.kind,
      samlResponse,
      status,
      location: status >= 300 && status < 400 ? a.response.headers.get("location") : null,
      contentType: status === 200 && isCallback(a.kind, samlResponse) ? a.response.headers.get("content-type") : null,
      expectsPostPage: a.startedFlow?.postPage ?? false,
    };
    const end = classifyFlowEnd(answer, deps.publicOrigin);
    if (end && a.startedFlow) return ended(organizationId, a.answeredBy, a.startedFlow, end);
    // A POST page ends the flow only if the flow asked for one, which its pin says: only then is the pin read.
    const postPageEnd = end || answer.contentType === null ? null : classifyFlowEnd({ ...answer, expectsPostPage: true }, deps.publicOrigin);
    if (!end && !postPageEnd) return;
    void a.readPin().then(
      (pin) => {
        const flow = pin?.flow && pin.provider === a.answeredBy ? pin.flow : null;
        const found = end ?? (flow?.postPage ? postPageEnd : null);
        if (found) ended(flow ? pin!.organizationId : organizationId, a.answeredBy, flow, found);
      },
      () => end && ended(organizationId, a.answeredBy, null, end),
    );
  }

  function ended(organizationId: string | null, provider: string, flow: FlowClaims | null, end: FlowEnd) {
    recorder.flowEnded(organizationId, provider, flow, end, now());
    metrics.loginOutcome(provider, end.outcome);
  }

  function tokenAnswer(organizationId: string | null, provider: string, response: Response) {
    const count = (errorField: string | null) => {
      const outcome = classifyTokenAnswer(response.status, errorField);
      recorder.token(organizationId, provider, outcome, now());
      metrics.loginOutcome(provider, outcome);
    };
    if (response.status !== 400 && response.status !== 401) return count(null);
    if (!tokenErrorWorthReading(response.status, response.headers.get("content-type"))) return count(null);
    void response
      .clone()
      .text()
      .then((text) => count(errorMember(text)), () => count(null));
  }
}

function errorMember(text: string): string | null {
  if (text.length > 8192) return null;
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === "string" ? body.error : null;
  } catch {
    return null;
  }
}
