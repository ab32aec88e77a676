/**
 * What the router's own code costs per request, in process, with no network: each kind of the
 * proxy benchmark's mix through the real app, once with a forwarder that answers at once (the
 * routing work alone) and once through the real forwarder over a fetch that answers at once
 * (plus header handling). Explains the gap between the router and a bare proxy in bench/proxy.
 *
 *   bun bench/router-cost/run.ts
 */
import { parseConfig } from "../../shared/config.ts";
import { createRouterApp } from "../../services/router/app.ts";
import { createForwarder, type Fetch, type Forwarder } from "../../services/router/forward.ts";
import { mergedJwks } from "../../services/router/merged-jwks.ts";
import { routerMetrics } from "../../services/router/metrics.ts";
import { pinCookies } from "../../services/router/pin-cookie.ts";
import { SAMPLE_ISSUER, sampleSamlResponse } from "../../cli/saml-sample.ts";
import { table } from "../stats.ts";

export type RouterCost = { kind: string; routingUs: number; withForwarderUs: number };

const answer = () => new Response('{"ok":true}', { headers: { "content-type": "application/json" } });

export async function routerCostBench(iterations = 20_000): Promise<RouterCost[]> {
  const config = parseConfig({ publicUrl: "https://auth.example.com", providers: [{ id: "legacy", role: "legacy", origin: "http://127.0.0.1:1" }, { id: "target", role: "target", origin: "http://127.0.0.1:1" }] });
  const routes = { providerOf: (id: string) => (id === "acme" ? "target" : undefined), organizationOf: (_: string, v: string) => (v === "acme.com" || v === SAMPLE_ISSUER || v === "acme-m2m" ? "acme" : undefined) };
  const fetch: Fetch = async () => answer();
  const app = (forward: Forwarder) =>
    createRouterApp({ config, routes, forward, pins: pinCookies("router-cost-secret-with-32-bytes-or-more", { providers: ["legacy", "target"] }), jwks: mergedJwks([], fetch), metrics: routerMetrics(), log: () => {}, accessLog: false });
  const instant = app(async () => answer());
  const forwarding = app(createForwarder({ publicUrl: config.publicUrl, fetch }));
  const saml = `SAMLResponse=${encodeURIComponent(sampleSamlResponse().base64)}&RelayState=r`;
  const form = (body: string) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "content-length": String(body.length) }, body });
  const kinds: [string, () => Request][] = [
    ["authorize GET (sets a pin)", () => new Request("http://localhost/authorize?client_id=app&login_hint=jane%40acme.com")],
    [`SAML POST (${saml.length} B)`, () => new Request("http://localhost/saml2/idpresponse", form(saml))],
    ["token POST", () => new Request("http://localhost/oauth/token", form("grant_type=client_credentials&client_id=acme-m2m&client_secret=s"))],
    ["other GET (no signal)", () => new Request("http://localhost/favicon.ico")],
  ];
  const time = async (target: { fetch(r: Request): Response | Promise<Response> }, make: () => Request) => {
    for (let i = 0; i < 2000; i++) await (await target.fetch(make())).arrayBuffer();
    const started = performance.now();
    for (let i = 0; i < iterations; i++) await (await target.fetch(make())).arrayBuffer();
    return ((performance.now() - started) * 1000) / iterations;
  };
  const results: RouterCost[] = [];
  for (const [kind, make] of kinds) results.push({ kind, routingUs: await time(instant, make), withForwarderUs: await time(forwarding, make) });
  return results;
}

export const routerCostTable = (results: RouterCost[]) =>
  table(["request", "routing µs", "with forwarder µs"], results.map((r) => [r.kind, r.routingUs.toFixed(1), r.withForwarderUs.toFixed(1)]));

if (import.meta.main) console.log(routerCostTable(await routerCostBench()));
