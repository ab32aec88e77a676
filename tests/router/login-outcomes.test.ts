import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../shared/config.ts";
import { createRouterApp } from "../../services/router/app.ts";
import type { Forwarder, OutgoingRequest } from "../../services/router/forward.ts";
import { mergedJwks } from "../../services/router/merged-jwks.ts";
import { routerMetrics } from "../../services/router/metrics.ts";
import { pinCookies } from "../../services/router/pin-cookie.ts";
import { outcomeRecorder } from "../../services/router/outcome-recorder.ts";
import { outcomeObserver } from "../../services/router/observe-outcome.ts";
import type { OutcomeRow } from "../../shared/login-outcomes.ts";
import { eventually } from "../support/eventually.ts";
import { randomSecret } from "../support/secrets.ts";

const PUBLIC = "https://auth.example.com";
const APP = "https://app.acme-saas.com/callback";

/** A router whose providers answer what the test says; the clock is the test's. */
function world(answer: (provider: string, request: OutgoingRequest) => Response) {
  const config = parseConfig({ publicUrl: PUBLIC, providers: [{ id: "legacy", role: "legacy", origin: "http://127.0.0.1:1" }, { id: "target", role: "target", origin: "http://127.0.0.1:2" }] });
  const routes = { providerOf: (id: string) => (id === "acme" ? "target" : undefined), organizationOf: (_: string, v: string) => (v === "acme.com" || v === "acme-app" ? "acme" : undefined) };
  let now = Date.parse("2026-11-30T10:00:10Z");
  const recorder = outcomeRecorder();
  const metrics = routerMetrics();
  const pins = pinCookies(randomSecret("pin"), { providers: ["legacy", "target"], now: () => Math.floor(now / 1000) });
  const forward: Forwarder = async (provider, request) => answer(provider.id, request);
  const app = createRouterApp({ config, routes, forward, pins, jwks: mergedJwks([], async () => new Response("{}")), metrics, log: () => {}, accessLog: false, outcomes: outcomeObserver({ recorder, metrics, publicOrigin: PUBLIC, now: () => now }) });
  let cookie = "";
  async function send(path: string, init: RequestInit = {}) {
    const response = await app.request(`${PUBLIC}${path}`, { ...init, headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string>) } });
    const set = response.headers.get("set-cookie");
    if (set) cookie = set.split(";")[0]!;
    await response.arrayBuffer();
    return response;
  }
  return { send, recorder, metrics, advance: (ms: number) => void (now += ms) };
}

const redirect = (location: string) => new Response(null, { status: 302, headers: { location } });
const strip = (rows: OutcomeRow[]) => rows.map(({ organizationId, provider, minute, outcome, code, count }) => ({ organizationId, provider, minute, outcome, code, count })).sort((a, b) => a.outcome.localeCompare(b.outcome));
/** The pin is verified in a promise callback after the answer is sent: let it run (no timer involved). */
const settled = () => new Promise((resolve) => setImmediate(resolve));
const MINUTE = Math.floor(Date.parse("2026-11-30T10:00:10Z") / 60_000);

describe("login outcomes seen by the router", () => {
  test("a flow that ends with a code on the application is a success, counted against its start minute with its duration", async () => {
    const w = world((_, r) => (r.target.startsWith("/authorize") ? redirect("https://idp.acme.com/sso?SAMLRequest=x") : redirect(`${APP}?code=SECRET-CODE&state=s`)));
    await w.send("/authorize?client_id=acme-app&login_hint=jane@acme.com");
    w.advance(70_000); // the callback comes in the next minute
    await w.send("/login/callback?code=IDP-CODE&state=s");
    await settled();
    const rows = w.recorder.drain();
    expect(strip(rows)).toEqual([
      { organizationId: "acme", provider: "target", minute: MINUTE, outcome: "started", code: "", count: 1 },
      { organizationId: "acme", provider: "target", minute: MINUTE, outcome: "succeeded", code: "", count: 1 },
    ]);
    // 70 s falls in the (60 s, 120 s] bucket.
    expect(rows.find((r) => r.outcome === "succeeded")!.durations![9]).toBe(1);
    expect(JSON.stringify(rows)).not.toContain("SECRET-CODE");
    expect(w.metrics.render()).toContain('ssomig_login_outcomes_total{provider="target",outcome="succeeded"} 1');
  });

  test("an OAuth error redirect is a failure by its code; the description is never kept", async () => {
    const w = world((_, r) => (r.target.startsWith("/authorize") ? redirect("https://idp.acme.com/sso") : redirect(`${APP}?error=access_denied&error_description=jane%40acme.com%20not%20assigned`)));
    await w.send("/authorize?client_id=acme-app");
    await w.send("/callback?code=x");
    await settled();
    const rows = w.recorder.drain();
    expect(strip(rows).map((r) => [r.outcome, r.code])).toEqual([["failed", "access_denied"], ["started", ""]]);
    expect(JSON.stringify(rows)).not.toContain("jane");
  });

  test("a silent session check (prompt=none) answered login_required is counted apart, not as a failed login", async () => {
    const w = world(() => redirect(`${APP}?error=login_required&state=s`));
    await w.send("/authorize?client_id=acme-app&prompt=none");
    expect(strip(w.recorder.drain()).map((r) => [r.outcome, r.code])).toEqual([["silent_declined", "login_required"], ["started", ""]]);
    expect(w.metrics.render()).not.toContain('outcome="failed"');
  });

  test("a 500 on the callback is a failure; reloading the callback does not count the flow twice", async () => {
    const w = world((_, r) => (r.target.startsWith("/authorize") ? redirect("https://idp.acme.com/sso") : new Response("boom", { status: 500 })));
    await w.send("/authorize?client_id=acme-app");
    await w.send("/callback?code=x");
    await w.send("/callback?code=x");
    await settled();
    expect(strip(w.recorder.drain()).map((r) => [r.outcome, r.code, r.count])).toEqual([["failed", "http_500", 1], ["started", "", 1]]);
  });

  test("a form_post page ends a flow that asked for one; the same page ends nothing for a flow that did not", async () => {
    const page = () => new Response("<form method=post action=https://app/cb>", { status: 200, headers: { "content-type": "text/html" } });
    const w = world((_, r) => (r.target.startsWith("/authorize") ? redirect("https://idp.acme.com/sso") : page()));
    await w.send("/authorize?client_id=acme-app&response_mode=form_post");
    await w.send("/callback?code=x");
    await settled();
    expect(strip(w.recorder.drain()).map((r) => r.outcome)).toEqual(["started", "succeeded"]);
    await w.send("/authorize?client_id=acme-app");
    await w.send("/callback?code=x");
    await settled();
    expect(strip(w.recorder.drain()).map((r) => r.outcome)).toEqual(["started"]);
  });

  test("a provider session answering the authorize request with a code ends the flow at once", async () => {
    const w = world(() => redirect(`${APP}?code=c`));
    await w.send("/authorize?client_id=acme-app");
    expect(strip(w.recorder.drain()).map((r) => r.outcome)).toEqual(["started", "succeeded"]);
  });

  test("unmatched traffic is counted against no organization on the default provider", async () => {
    const w = world((_, r) => (r.target.startsWith("/authorize") ? redirect("https://idp.other.com/sso") : redirect(`${APP}?code=c`)));
    await w.send("/authorize?client_id=nobody");
    await w.send("/callback?code=x");
    await settled();
    expect(strip(w.recorder.drain()).map((r) => [r.organizationId, r.provider, r.outcome])).toEqual([[null, "legacy", "started"], [null, "legacy", "succeeded"]]);
  });

  test("token answers count apart: ok, invalid_grant (read from the JSON error), other", async () => {
    let next: Response = new Response('{"access_token":"TOKEN"}', { headers: { "content-type": "application/json" } });
    const w = world(() => next);
    const form = (body: string) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    await w.send("/oauth/token", form("grant_type=authorization_code&code=c&client_id=acme-app"));
    next = new Response('{"error":"invalid_grant","error_description":"code already used"}', { status: 400, headers: { "content-type": "application/json" } });
    const replay = await w.send("/oauth/token", form("grant_type=authorization_code&code=c&client_id=acme-app"));
    expect(replay.status).toBe(400);
    next = new Response('{"error":"invalid_client"}', { status: 401, headers: { "content-type": "application/json" } });
    await w.send("/oauth/token", form("grant_type=authorization_code&code=c&client_id=acme-app"));
    // The 400/401 bodies are read from a clone after the answer went out: wait for the three counts.
    const all: ReturnType<typeof strip> = [];
    await eventually(async () => (all.push(...strip(w.recorder.drain())), all.length), (n) => n >= 3);
    expect(all.map((r) => r.outcome).sort()).toEqual(["token_invalid_grant", "token_ok", "token_other"]);
    expect(JSON.stringify(all)).not.toContain("TOKEN");
  });

  test("without an observer the router issues pins without flow ids and counts nothing", async () => {
    const config = parseConfig({ publicUrl: PUBLIC, providers: [{ id: "legacy", role: "legacy", origin: "http://127.0.0.1:1" }, { id: "target", role: "target", origin: "http://127.0.0.1:2" }] });
    const secret = randomSecret("pin");
    const pins = pinCookies(secret, { providers: ["legacy", "target"] });
    const app = createRouterApp({ config, routes: { providerOf: () => undefined, organizationOf: () => undefined }, forward: async () => redirect(APP), pins, jwks: mergedJwks([], async () => new Response("{}")), metrics: routerMetrics(), log: () => {}, accessLog: false });
    const response = await app.request(`${PUBLIC}/authorize?client_id=x`);
    const pin = await pins.read(response.headers.get("set-cookie")!.split(";")[0]!);
    expect(pin).toEqual({ organizationId: null, provider: "legacy" });
  });
});
