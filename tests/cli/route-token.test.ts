import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { runRouteToken } from "../../cli/route-token.ts";
import { forceRoutes, MAX_ROUTE_TOKEN_TTL_SECONDS } from "../../services/router/force-route.ts";
import { pinCookies } from "../../services/router/pin-cookie.ts";
import { routerHarness, type RouterHarness, PIN_SECRET } from "../support/router.ts";

/** Operators' route tokens (X-Ssomig-Route) against a real router over PGlite and two real upstreams. */
let h: RouterHarness;
let router: ReturnType<RouterHarness["router"]>;
const routes = forceRoutes(PIN_SECRET, { providers: ["legacy", "target"] });

beforeAll(async () => {
  h = await routerHarness();
  router = h.router();
  await router.routes.load();
  await h.register("acme", [{ kind: "domain", value: "acme.com" }]);
  await h.register("globex", [{ kind: "domain", value: "globex.com" }]);
});
afterAll(() => h.close());

async function send(path: string, token: string) {
  h.legacy.requests.length = 0;
  h.target.requests.length = 0;
  const response = await router.app.request(path, { headers: { "x-ssomig-route": token } });
  const body = (await response.json()) as { provider?: string; code?: string };
  return { status: response.status, provider: body.provider ?? null, code: body.code ?? null, forwarded: h.legacy.requests.length + h.target.requests.length };
}

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runRouteToken(args, { readSecret: async () => PIN_SECRET, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe("a route token is bound to the organization it names", () => {
  test("it forces that organization's traffic, and traffic no signal attributes to anyone", async () => {
    const token = routes.mint({ organizationId: "acme", provider: "target" }, 60);
    expect(await send("/authorize?login_hint=jane@acme.com", token)).toMatchObject({ status: 200, provider: "target" });
    expect(h.logs.at(-1)).toMatchObject({ signal: "force_route", organization: "acme", provider: "target" });
    expect(await send("/callback?code=c", token)).toMatchObject({ status: 200, provider: "target" });
    expect(h.logs.at(-1)).toMatchObject({ signal: "force_route", organization: "acme" });
  });

  test("on another organization's traffic it is refused with 403 and nothing is forwarded", async () => {
    const token = routes.mint({ organizationId: "acme", provider: "target" }, 60);
    for (const path of ["/authorize?login_hint=bob@globex.com", "/authorize?organization_id=globex", "/authorize?domain_hint=globex.com"]) {
      expect(await send(path, token)).toEqual({ status: 403, provider: null, code: "invalid_route_token", forwarded: 0 });
    }
  });

  test("a token naming no organization is refused, and the CLI requires --org", async () => {
    const unbound = await new SignJWT({ o: null, p: "target", u: "force-route" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(new TextEncoder().encode(PIN_SECRET));
    expect(await send("/authorize", unbound)).toMatchObject({ status: 403, code: "invalid_route_token", forwarded: 0 });
    const answer = await cli(["--provider", "target", "--ttl", "5m"]);
    expect(answer.code).toBe(2);
    expect(answer.out).toEqual([]);
    expect(answer.err.join("\n")).toContain("--org is required");
  });
});

describe("a route token's lifetime is capped at 24 hours", () => {
  test("the CLI refuses a longer --ttl and mints up to 24h", async () => {
    expect((await cli(["--provider", "target", "--org", "acme", "--ttl", "25h"])).code).toBe(2);
    const day = await cli(["--provider", "target", "--org", "acme", "--ttl", "24h"]);
    expect(day.code).toBe(0);
    expect(await send("/authorize?login_hint=jane@acme.com", day.out[0]!)).toMatchObject({ status: 200, provider: "target" });
    expect(() => routes.mint({ organizationId: "acme", provider: "target" }, MAX_ROUTE_TOKEN_TTL_SECONDS + 1)).toThrow();
  });

  test("the router refuses a token signed with the shared secret that lives longer", async () => {
    const sign = (ttl: string) => new SignJWT({ o: "acme", p: "target", u: "force-route" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(ttl).sign(new TextEncoder().encode(PIN_SECRET));
    expect(await send("/authorize?login_hint=jane@acme.com", await sign("23h"))).toMatchObject({ status: 200, provider: "target" });
    expect(await send("/authorize?login_hint=jane@acme.com", await sign("48h"))).toMatchObject({ status: 403, code: "invalid_route_token", forwarded: 0 });
  });
});

/** Every spelling of a signature other than the one signed: other spare bits in the last character, trailing garbage. */
function tamperedSignatures(token: string): string[] {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const last = alphabet.indexOf(token.at(-1)!);
  const body = token.slice(0, -1);
  const spareBits = [1, 2, 3].map((flip) => body + alphabet[last ^ flip]!);
  const trailing = ["=", "==", ".", " x", "!", "%", "\u00e9", "A"].map((garbage) => token + garbage);
  return [...spareBits, ...trailing];
}

describe("a route token's signature is checked strictly", () => {
  test("a token whose last characters were changed or extended is refused (403), never forwarded", async () => {
    const token = routes.mint({ organizationId: "acme", provider: "target" }, 60);
    expect(routes.read(token)).toEqual({ organizationId: "acme", provider: "target" });
    const tampered = tamperedSignatures(token);
    expect(tampered.length).toBe(11);
    for (const variant of tampered) {
      expect({ variant, read: routes.read(variant) }).toEqual({ variant, read: null });
      expect(await send("/authorize?login_hint=jane@acme.com", variant)).toMatchObject({ status: 403, code: "invalid_route_token", forwarded: 0 });
    }
  });

  test("the flow pin, signed the same way, is as strict", async () => {
    const pins = pinCookies(PIN_SECRET, { providers: ["legacy", "target"] });
    const cookie = (await pins.issue({ organizationId: "acme", provider: "target" })).split(";")[0]!;
    const value = cookie.slice(cookie.indexOf("=") + 1);
    expect(await pins.read(cookie)).toEqual({ organizationId: "acme", provider: "target" });
    for (const variant of tamperedSignatures(value)) expect(await pins.read(`__Host-ssomig-pin=${variant}`)).toBeNull();
  });
});
