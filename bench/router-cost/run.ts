/**
 * What the router's own code costs per request, in process, with no network: each kind of the
 * proxy benchmark's mix through the real app, once with a forwarder that answers at once (the
 * routing work alone) and once through the real forwarder over a fetch that answers at once
 * (plus header handling). Explains the gap between the router and a bare proxy in bench/proxy.
 *
 *   bun bench/router-cost/run.ts
 */
import process from "node:process";
import { parseConfig } from "../../shared/config.ts";
import { createRouterApp } from "../../services/router/app.ts";
import { createForwarder, type Fetch, type Forwarder } from "../../services/router/forward.ts";
import { mergedJwks } from "../../services/router/merged-jwks.ts";
import { routerMetrics } from "../../services/router/metrics.ts";
import { pinCookies } from "../../services/router/pin-cookie.ts";
import { SAMPLE_ISSUER, sampleSamlResponse } from "../../cli/saml-sample.ts";
import { table } from "../stats.ts";
import { outcomeObserver } from "../../services/router/observe-outcome.ts";
import { outcomeRecorder } from "../../services/router/outcome-recorder.ts";
import { unmatchedObserver } from "../../services/router/observe-unmatched.ts";
import { unmatchedRecord } from "../../services/router/unmatched-record.ts";

export type RouterCost = { kind: string; routingUs: number; withForwarderUs: number; withBookkeepingUs: number; forwarderWithBookkeepingUs: number };

const answer = () => new Response('{"ok":true}', { headers: { "content-type": "application/json" } });

export async function routerCostBench(iterations = 20_000): Promise<RouterCost[]> {
  const config = parseConfig({ publicUrl: "https://auth.example.com", providers: [{ id: "legacy", role: "legacy", origin: "http://127.0.0.1:1" }, { id: "target", role: "target", origin: "http://127.0.0.1:1" }] });
  const routes = { providerOf: (id: string) => (id === "acme" ? "target" : undefined), organizationOf: (_: string, v: string) => (v === "acme.com" || v === SAMPLE_ISSUER || v === "acme-m2m" ? "acme" : undefined) };
  const fetch: Fetch = async () => answer();
  const app = (forward: Forwarder, bookkeeping = false) => {
    const metrics = routerMetrics();
    // Issue 12's login outcome and unmatched-traffic bookkeeping, as compose.ts wires it (flushes aside).
    const extra = bookkeeping ? { outcomes: outcomeObserver({ recorder: outcomeRecorder(), metrics, publicOrigin: config.publicUrl }), unmatched: unmatchedObserver(unmatchedRecord()) } : {};
    return createRouterApp({ config, routes, forward, pins: pinCookies("router-cost-secret-with-32-bytes-or-more", { providers: ["legacy", "target"] }), jwks: mergedJwks([], fetch), metrics, log: () => {}, accessLog: false, ...extra });
  };
  const instant = app(async () => answer());
  // ROUTER_COST_AA=1 compares the router without bookkeeping with itself: the noise floor of the Δ columns on this machine.
  const booked = app(async () => answer(), !process.env.ROUTER_COST_AA);
  const forwarding = app(createForwarder({ publicUrl: config.publicUrl, fetch }));
  const forwardingBooked = app(createForwarder({ publicUrl: config.publicUrl, fetch }), true);
  const saml = `SAMLResponse=${encodeURIComponent(sampleSamlResponse().base64)}&RelayState=r`;
  const form = (body: string) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "content-length": String(body.length) }, body });
  const kinds: [string, () => Request][] = [
    ["authorize GET (sets a pin)", () => new Request("http://localhost/authorize?client_id=app&login_hint=jane%40acme.com")],
    [`SAML POST (${saml.length} B)`, () => new Request("http://localhost/saml2/idpresponse", form(saml))],
    ["token POST", () => new Request("http://localhost/oauth/token", form("grant_type=client_credentials&client_id=acme-m2m&client_secret=s"))],
    ["other GET (no signal)", () => new Request("http://localhost/favicon.ico")],
  ];
  const time = async (target: { fetch(r: Request): Response | Promise<Response> }, make: () => Request, n = iterations) => {
    for (let i = 0; i < Math.min(500, n); i++) await (await target.fetch(make())).arrayBuffer();
    // CPU time (user + system), not wall time: on a shared, loaded machine the wall clock also counts other processes' turns.
    const started = process.cpuUsage();
    for (let i = 0; i < n; i++) await (await target.fetch(make())).arrayBuffer();
    const used = process.cpuUsage(started);
    return (used.user + used.system) / n;
  };
  const results: RouterCost[] = [];
  for (const [kind, make] of kinds) {
    // Without and with the bookkeeping, alternated in short slices (median slice of each): the machine's speed drifts.
    const without: number[] = [];
    const withIt: number[] = [];
    const forwarded: number[] = [];
    const forwardedWithIt: number[] = [];
    const slice = Math.max(500, Math.floor(iterations / 10));
    for (let round = 0; round < 20; round++) {
      // Which one goes first alternates, so neither always inherits the other's garbage.
      const pairs: [typeof instant, number[]][] = round % 2 === 0 ? [[instant, without], [booked, withIt], [forwarding, forwarded], [forwardingBooked, forwardedWithIt]] : [[booked, withIt], [instant, without], [forwardingBooked, forwardedWithIt], [forwarding, forwarded]];
      for (const [target, into] of pairs) into.push(await time(target, make, slice));
    }
    results.push({ kind, routingUs: median(without), withBookkeepingUs: median(withIt), withForwarderUs: median(forwarded), forwarderWithBookkeepingUs: median(forwardedWithIt) });
  }
  return results;
}

/**
 * The bookkeeping alone, with nothing around it, so its cost is not lost in the whole router's
 * drift: what a flow start adds to the pin, and what observing an answer costs (µs per request).
 */
export async function bookkeepingCost(iterations = 200_000) {
  const pins = pinCookies("router-cost-secret-with-32-bytes-or-more", { providers: ["legacy", "target"] });
  const observer = outcomeObserver({ recorder: outcomeRecorder(), metrics: routerMetrics(), publicOrigin: "https://auth.example.com" });
  const record = unmatchedObserver(unmatchedRecord());
  const cpu = async (f: () => unknown) => {
    for (let i = 0; i < 20_000; i++) await f();
    const samples: number[] = [];
    for (let round = 0; round < 10; round++) {
      const started = process.cpuUsage();
      for (let i = 0; i < iterations / 10; i++) await f();
      const used = process.cpuUsage(started);
      samples.push((used.user + used.system) / (iterations / 10));
    }
    return median(samples);
  };
  const matched = { organizationId: "acme", provider: "target", signal: "login_hint", pinned: false, saml: null } as const;
  const samlDecision = { ...matched, signal: "saml_issuer", saml: { type: "Response", issuer: SAMPLE_ISSUER, inResponseTo: "id1" } } as never;
  const redirectToIdp = new Response(null, { status: 302, headers: { location: "https://idp.acme.com/sso/saml?SAMLRequest=abc&RelayState=r" } });
  const samlAnswer = new Response(null, { status: 302, headers: { location: "https://app.example.com/cb?code=c&state=s" } });
  const query = new URLSearchParams("client_id=app&login_hint=jane%40acme.com");
  const req = { method: "GET", path: "/authorize", query, form: null, basicClientId: null };
  const classification = { kind: "authorize", pathConnection: null, saml: null } as const;
  const readPin = async () => null;
  const pinPlain = await cpu(() => pins.issue({ organizationId: "acme", provider: "target" }));
  const pinFlow = await cpu(() => pins.issue({ organizationId: "acme", provider: "target", flow: observer.newFlow(false) }));
  const authorize = await cpu(() => {
    record(req, classification, matched);
    observer.observe({ kind: "authorize", decision: matched, answeredBy: "target", response: redirectToIdp, startedFlow: observer.newFlow(false), readPin });
  });
  const samlPost = await cpu(() => observer.observe({ kind: "saml_post", decision: samlDecision, answeredBy: "target", response: samlAnswer, startedFlow: null, readPin }));
  return { pinPlainUs: pinPlain, pinWithFlowUs: pinFlow, authorizeObserveUs: authorize, samlObserveUs: samlPost };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export const routerCostTable = (results: RouterCost[]) =>
  table(
    ["request", "routing µs", "+ bookkeeping µs", "Δ", "with forwarder µs", "+ bookkeeping µs", "Δ"],
    results.map((r) => [r.kind, r.routingUs.toFixed(1), r.withBookkeepingUs.toFixed(1), delta(r.routingUs, r.withBookkeepingUs), r.withForwarderUs.toFixed(1), r.forwarderWithBookkeepingUs.toFixed(1), delta(r.withForwarderUs, r.forwarderWithBookkeepingUs)]),
  );
const delta = (before: number, after: number) => `${after >= before ? "+" : ""}${(((after - before) / before) * 100).toFixed(1)}%`;

if (import.meta.main) {
  const costs = await routerCostBench();
  console.log(routerCostTable(costs));
  const alone = await bookkeepingCost();
  const authorizeAdded = alone.pinWithFlowUs - alone.pinPlainUs + alone.authorizeObserveUs;
  console.log(
    `\nBookkeeping measured alone (CPU µs per request): pin ${alone.pinPlainUs.toFixed(2)} → ${alone.pinWithFlowUs.toFixed(2)} with a flow id; ` +
      `observing an authorize (302 to the IdP) ${alone.authorizeObserveUs.toFixed(2)}; observing a SAML Response's answer (302 to the app with a code, pin not read) ${alone.samlObserveUs.toFixed(2)}.\n` +
      `Added to authorize GET: ${authorizeAdded.toFixed(2)} µs = ${((authorizeAdded / costs[0]!.routingUs) * 100).toFixed(1)}% of its routing, ${((authorizeAdded / costs[0]!.withForwarderUs) * 100).toFixed(1)}% with the forwarder; ` +
      `to SAML POST: ${alone.samlObserveUs.toFixed(2)} µs = ${((alone.samlObserveUs / costs[1]!.routingUs) * 100).toFixed(1)}% of its routing.`,
  );
}
