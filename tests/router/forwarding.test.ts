import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { demoUpstream } from "../../services/demo-upstreams/app.ts";
import { serve, type Server } from "../../services/runtime/serve.ts";
import { base64 } from "../saml/encode.ts";
import { readFixtureBytes } from "../saml/fixtures.ts";
import { routerHarness, servedRouter, sha256Hex, type Echo, type LogEntry, type RouterHarness } from "../support/router.ts";
import { concatBytes, rawRequest } from "./raw-http.ts";
import { PIN_COOKIE } from "../../services/router/pin-cookie.ts";

/**
 * The router in front of two real local upstreams (echo servers by default), reached the way a
 * browser reaches it: over HTTP on a real socket. What a user sees is asserted: status, headers,
 * bytes; what the provider sees is the upstream's echo.
 */

const OKTA_ISSUER = "http://www.okta.com/exkdoocxa1VmjpXmX697";
const OKTA_RESPONSE = readFixtureBytes("ssoready__assertions_okta_assertion.xml");
const PIN = PIN_COOKIE;

let h: RouterHarness;
let server: Server;
let base: string;
/** The router app itself, for requests whose headers a real client would rewrite (hop-by-hop). */
let app: ReturnType<RouterHarness["router"]>["app"];

let served: Awaited<ReturnType<typeof servedRouter>>;

beforeAll(async () => {
  served = await servedRouter();
  ({ h, app, server, base } = served);
  await h.register("okta-customer", [
    { kind: "saml_issuer", value: OKTA_ISSUER },
    { kind: "domain", value: "okta-customer.example" },
  ]);
  await h.migrate("okta-customer");
});

afterAll(async () => {
  await served?.close();
});

beforeEach(() => {
  h.legacy.handle(demoUpstream("legacy"));
  h.target.handle(demoUpstream("target"));
  h.legacy.requests.length = 0;
  h.target.requests.length = 0;
});

/** A request to the router over the network, bounded so a hung router fails the test instead of the run. */
function call(pathAndQuery: string, init: RequestInit = {}): Promise<Response> {
  return fetch(base + pathAndQuery, { redirect: "manual", signal: AbortSignal.timeout(10_000), ...init });
}

async function echoOf(response: Response): Promise<Echo> {
  expect(response.status).toBe(200);
  return (await response.json()) as Echo;
}

function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) crypto.getRandomValues(out.subarray(offset, Math.min(size, offset + 65536)));
  return out;
}

const ALL_BYTE_VALUES = Uint8Array.from({ length: 256 }, (_, i) => i);

describe("request bodies arrive byte-exact", () => {
  test("forwards a binary body (all 256 byte values, then random bytes) unchanged", async () => {
    const body = concatBytes(ALL_BYTE_VALUES, randomBytes(256 * 1024), ALL_BYTE_VALUES.toReversed());
    const echo = await echoOf(await call("/upload", { method: "PUT", headers: { "content-type": "application/octet-stream" }, body }));
    expect(echo.provider).toBe("legacy");
    expect(echo.method).toBe("PUT");
    expect(echo.headers["content-type"]).toBe("application/octet-stream");
    expect(echo.bodySha256).toBe(await sha256Hex(body));
  });

  test("forwards a hand-built multipart/form-data body with a binary file part unchanged", async () => {
    const boundary = "----ssomig-boundary-7MA4YWxkTrZu0gW";
    const file = concatBytes(ALL_BYTE_VALUES, "\r\n--not-the-boundary\r\n", randomBytes(4096));
    const body = concatBytes(
      `--${boundary}\r\n`,
      `Content-Disposition: form-data; name="note"\r\n\r\n`,
      "héllo, wörld\r\n",
      `--${boundary}\r\n`,
      `Content-Disposition: form-data; name="file"; filename="blob.bin"\r\n`,
      "Content-Type: application/octet-stream\r\n\r\n",
      file,
      `\r\n--${boundary}--\r\n`,
    );
    const echo = await echoOf(await call("/upload", { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body }));
    expect(echo.headers["content-type"]).toBe(`multipart/form-data; boundary=${boundary}`);
    expect(echo.bodySha256).toBe(await sha256Hex(body));
  });

  test("forwards a form-urlencoded SAMLResponse of a real Okta capture unchanged, to the provider its Issuer names", async () => {
    const body = `SAMLResponse=${encodeURIComponent(base64(OKTA_RESPONSE))}&RelayState=${encodeURIComponent("/app?x=1&y=2")}`;
    const echo = await echoOf(await call("/saml/acs", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body }));
    expect(echo.provider).toBe("target");
    expect(echo.method).toBe("POST");
    expect(echo.path).toBe("/saml/acs");
    expect(echo.bodySha256).toBe(await sha256Hex(body));
  });
});

describe("method, path and query arrive unchanged", () => {
  const cases: [string, string][] = [
    ["GET", "/a%2Fb/c?x=a+b&y=%20&y=2"],
    ["GET", "/authorize?redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fa%3D1&state=a%2Bb%3D&scope=openid+email"],
    ["POST", "/p%20q/%7Euser/"],
    ["PATCH", "/list?a=1&a=2&a=&=b&a=3"],
    ["DELETE", "/trailing?"],
    ["OPTIONS", "/%E2%9C%93/caf%C3%A9?q=%E2%9C%93&empty"],
  ];
  test.each(cases)("%s %s", async (method, target) => {
    const echo = await echoOf(await call(target, { method }));
    const queryAt = target.indexOf("?");
    expect(echo.method).toBe(method);
    expect(echo.path).toBe(queryAt === -1 ? target : target.slice(0, queryAt));
    expect(echo.query).toBe(queryAt === -1 ? "" : target.slice(queryAt + 1));
    // The echo cannot tell "/trailing?" from "/trailing"; the recorded request can.
    expect(h.legacy.requests).toHaveLength(1);
    expect(h.legacy.requests[0]!.url).toBe(h.legacy.origin + target);
  });

  test("sends a path like //evil.example.com/x to the configured upstream, never to that host", async () => {
    // fetch would collapse the leading slashes before the router saw them: send the bytes ourselves.
    const response = await rawRequest(server.port, `GET //evil.example.com/x?a=1 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`);
    expect(response.status).toBe(200);
    const echo = JSON.parse(response.text) as Echo;
    expect(echo.provider).toBe("legacy");
    expect(h.legacy.requests).toHaveLength(1);
    expect(h.legacy.requests[0]!.headers.get("host")).toBe(`127.0.0.1:${h.legacy.port}`);
    // Bun's fetch client collapses leading slashes on the wire (a documented limit); the host never changes.
    expect(echo.path).toEndWith("/evil.example.com/x");
    expect(echo.query).toBe("a=1");
  });
});

describe("request headers", () => {
  test("drops hop-by-hop headers and every header named in Connection", async () => {
    // In-process: a real HTTP client would manage Connection, TE and Upgrade itself.
    const response = await app.request("https://auth.example.test/hop", {
      headers: {
        connection: "Upgrade, X-Drop-Me",
        "keep-alive": "timeout=5, max=100",
        te: "trailers",
        upgrade: "websocket",
        "proxy-authorization": "Basic cHJveHk6c2VjcmV0",
        "proxy-connection": "keep-alive",
        trailer: "x-checksum",
        "x-drop-me": "dropped",
        "x-keep-me": "kept",
      },
    });
    const echo = await echoOf(response);
    for (const name of ["keep-alive", "te", "upgrade", "proxy-authorization", "proxy-connection", "trailer", "x-drop-me"]) {
      expect(echo.headers[name]).toBeUndefined();
    }
    // The upstream client may open its own keep-alive connection; it never relays ours.
    expect(echo.headers.connection ?? "").not.toMatch(/upgrade|x-drop-me/i);
    expect(echo.headers["x-keep-me"]).toBe("kept");
  });

  test("sends the upstream's own host as Host", async () => {
    const echo = await echoOf(await call("/host", { headers: { host: "auth.example.test" } }));
    expect(echo.headers.host).toBe(`127.0.0.1:${h.legacy.port}`);
  });

  test("sets X-Forwarded-Host and X-Forwarded-Proto to the public auth domain, replacing any a client sent", async () => {
    const echo = await echoOf(
      await call("/xf", { headers: { "x-forwarded-host": "evil.example.com", "x-forwarded-proto": "http", forwarded: "for=1.2.3.4;host=evil.example.com" } }),
    );
    expect(echo.headers["x-forwarded-host"]).toBe("auth.example.test");
    expect(echo.headers["x-forwarded-proto"]).toBe("https");
    expect(echo.headers.forwarded).toBeUndefined();
  });

  test("appends the peer address to an incoming X-Forwarded-For, and sets it when there is none", async () => {
    const appended = await echoOf(await call("/xff", { headers: { "x-forwarded-for": "203.0.113.7, 198.51.100.2" } }));
    expect(appended.headers["x-forwarded-for"]).toBe("203.0.113.7, 198.51.100.2, 127.0.0.1");
    const fresh = await echoOf(await call("/xff"));
    expect(fresh.headers["x-forwarded-for"]).toBe("127.0.0.1");
  });

  test("strips the router's pin cookie from Cookie and passes the other cookies", async () => {
    const mixed = await echoOf(await call("/cookies", { headers: { cookie: `a=1; ${PIN}=eyJhbGciOiJIUzI1NiJ9.e30.sig; b=two` } }));
    expect(mixed.headers.cookie).toBe("a=1; b=two");
    const onlyPin = await echoOf(await call("/cookies", { headers: { cookie: `${PIN}=eyJhbGciOiJIUzI1NiJ9.e30.sig` } }));
    expect(onlyPin.headers.cookie).toBeUndefined();
    const none = await echoOf(await call("/cookies", { headers: { cookie: "session=abc; theme=dark" } }));
    expect(none.headers.cookie).toBe("session=abc; theme=dark");
  });

  test("passes end-to-end headers (authorization, user-agent, accept-language, custom x-*) unchanged", async () => {
    const headers = {
      authorization: "Bearer eyJ0eXAiOiJKV1QifQ.e30.c2ln",
      "user-agent": "Mozilla/5.0 (ssomigrate test)",
      "accept-language": "fr-CH, fr;q=0.9, en;q=0.8",
      "x-request-id": "req-123",
      "x-custom-thing": "a, b;c=d",
    };
    const echo = await echoOf(await call("/e2e", { headers }));
    for (const [name, value] of Object.entries(headers)) expect(echo.headers[name]).toBe(value);
  });
});

describe("the public Host, for providers that route on it", () => {
  let hp: RouterHarness;
  beforeAll(async () => {
    hp = await routerHarness({ extraProviderConfig: { preserveHost: true } });
  });
  afterAll(async () => {
    await hp?.close();
  });

  test("sends the public host as Host when the provider is configured with preserveHost", async () => {
    const { app: preserving } = hp.router();
    const response = await preserving.request("https://auth.example.test/custom-domain", { headers: { host: "auth.example.test" } });
    const echo = await echoOf(response);
    expect(echo.provider).toBe("legacy");
    expect(echo.headers.host).toBe("auth.example.test");
    expect(hp.legacy.requests).toHaveLength(1);
  });
});

describe("redirects are returned, never followed", () => {
  test("maps a redirect to the provider's own origin onto the public auth domain", async () => {
    h.legacy.handle(() => new Response(null, { status: 302, headers: { location: `${h.legacy.origin}/login?x=1` } }));
    const response = await call("/authorize?client_id=app");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("https://auth.example.test/login?x=1");
    expect(h.legacy.requests).toHaveLength(1);
  });

  test("leaves a redirect to a third-party host unchanged", async () => {
    const location = "https://idp.customer.example/sso?SAMLRequest=fZJNT8MwDIb%2FSu47p%2B3GtKjtNGkXpHEBxIFrlaZuFTRxqB2l8OtJ2YYQB25%2B%2FdjP6yd2c&RelayState=abc";
    h.legacy.handle(() => new Response("see other", { status: 303, headers: { location } }));
    const response = await call("/sso/start");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(location);
    expect(await response.text()).toBe("see other");
    expect(h.legacy.requests).toHaveLength(1);
  });
});

describe("response cookies", () => {
  test("returns each Set-Cookie separately, scoping the provider's Domain to the public host and leaving the rest", async () => {
    h.legacy.handle(() => {
      const headers = new Headers({ "content-type": "text/plain" });
      headers.append("set-cookie", "sid=abc123; Domain=127.0.0.1; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=3600");
      headers.append("set-cookie", "did=xyz; domain=127.0.0.1; path=/u; expires=Wed, 21 Oct 2037 07:28:00 GMT");
      headers.append("set-cookie", "ga=1; Domain=analytics.customer.example; Path=/");
      headers.append("set-cookie", "plain=2; Path=/; Max-Age=60");
      return new Response("ok", { headers });
    });
    const response = await call("/login");
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([
      "sid=abc123; Domain=auth.example.test; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=3600",
      "did=xyz; Domain=auth.example.test; path=/u; expires=Wed, 21 Oct 2037 07:28:00 GMT",
      "ga=1; Domain=analytics.customer.example; Path=/",
      "plain=2; Path=/; Max-Age=60",
    ]);
  });

  test("never passes on a provider's attempt to set the router's own cookies (the pin, the session marker)", async () => {
    h.legacy.handle(() => {
      const headers = new Headers();
      headers.append("set-cookie", "__Host-ssomig-session=legacy; Path=/; Secure; HttpOnly");
      headers.append("set-cookie", "__host-SSOMIG-pin=forged; Path=/; Secure");
      headers.append("set-cookie", "sid=1; Path=/");
      return new Response("ok", { headers });
    });
    const response = await call("/login");
    expect(response.headers.getSetCookie()).toEqual(["sid=1; Path=/"]);
  });
});

describe("responses stream back unchanged", () => {
  test("returns a 5 MB upstream body intact", async () => {
    const body = randomBytes(5 * 1024 * 1024);
    h.legacy.handle(() => new Response(body, { headers: { "content-type": "application/octet-stream" } }));
    const response = await call("/big");
    expect(response.status).toBe(200);
    const received = new Uint8Array(await response.arrayBuffer());
    expect(received.length).toBe(body.length);
    expect(await sha256Hex(received)).toBe(await sha256Hex(body));
  });

  test("sends the first bytes before the upstream has finished its body", async () => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    h.legacy.handle(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            async start(controller) {
              controller.enqueue(new TextEncoder().encode("first;"));
              await finished;
              controller.enqueue(new TextEncoder().encode("last"));
              controller.close();
            },
          }),
          { headers: { "content-type": "text/plain" } },
        ),
    );
    try {
      const response = await call("/stream");
      const reader = response.body!.getReader();
      const first = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no bytes before the upstream finished: the router buffers")), 3000)),
      ]);
      expect(new TextDecoder().decode(first.value)).toBe("first;");
      finish();
      let rest = "";
      for (let i = 0; i < 100; i++) {
        const { done, value } = await reader.read();
        if (done) break;
        rest += new TextDecoder().decode(value);
      }
      expect(rest).toBe("last");
    } finally {
      finish();
    }
  });

  test.each([
    [201, "application/json", '{"id":"created"}'],
    [404, "text/html; charset=utf-8", "<h1>no such tenant</h1>"],
    [500, "application/json", '{"error":"server_error","error_description":"boom"}'],
  ])("passes status %d and its body through unchanged", async (status, type, body) => {
    h.legacy.handle(() => new Response(body, { status, headers: { "content-type": type, "x-provider-trace": "t-1" } }));
    const response = await call("/status");
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe(type);
    expect(response.headers.get("x-provider-trace")).toBe("t-1");
    expect(await response.text()).toBe(body);
  });
});

describe("providers that time out or are down", () => {
  let ht: RouterHarness;
  let slowServer: Server;
  const waiting: (() => void)[] = [];
  const releaseAll = () => waiting.splice(0).forEach((release) => release());

  beforeAll(async () => {
    ht = await routerHarness({ extraProviderConfig: { timeoutMs: 200 } });
    slowServer = await serve({ port: 0, hostname: "127.0.0.1", fetch: ht.router().app.fetch });
    await ht.register("migrated", [{ kind: "domain", value: "migrated.example" }]);
    await ht.migrate("migrated");
  });
  afterAll(async () => {
    releaseAll();
    await slowServer?.close();
    await ht?.close();
  });

  const at = (path: string) => fetch(`http://127.0.0.1:${slowServer.port}${path}`, { signal: AbortSignal.timeout(10_000) });

  test("answers 504 upstream_timeout when the provider does not answer within its timeout, and keeps serving", async () => {
    ht.legacy.handle(() => new Promise<Response>((resolve) => waiting.push(() => resolve(new Response("too late")))));
    const started = performance.now();
    const response = await at("/slow");
    const elapsed = performance.now() - started;
    releaseAll();
    ht.legacy.handle(demoUpstream("legacy"));
    expect(response.status).toBe(504);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(((await response.json()) as { code: string }).code).toBe("upstream_timeout");
    expect(elapsed).toBeLessThan(1500);

    const next = await at("/after?domain=migrated.example");
    expect(next.status).toBe(200);
    expect(((await next.json()) as Echo).provider).toBe("target");
  });

  test("answers 502 upstream_unreachable when the provider is stopped, and keeps serving", async () => {
    ht.target.stop();
    const response = await at("/down?domain=migrated.example");
    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(((await response.json()) as { code: string }).code).toBe("upstream_unreachable");

    const next = await at("/after");
    expect(next.status).toBe(200);
    expect(((await next.json()) as Echo).provider).toBe("legacy");
  });
});

describe("request log", () => {
  const routeLines = (): LogEntry[] => h.logs.filter((entry) => entry.msg === "route");

  test("writes one line per request with organization, provider, signal, status and duration", async () => {
    const before = routeLines().length;
    const migrated = await call("/authorize?login_hint=jane%40okta-customer.example");
    expect(migrated.status).toBe(200);
    const unknown = await call("/missing");
    expect(unknown.status).toBe(200);
    const lines = routeLines().slice(before);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ organization: "okta-customer", provider: "target", signal: "login_hint", status: 200 });
    expect(lines[1]).toMatchObject({ organization: null, provider: "legacy", signal: "default", status: 200 });
    for (const line of lines) {
      expect(typeof line.durationMs).toBe("number");
      expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
    }
  });

  test("never logs the query string, a SAMLResponse, a code, a token or a cookie value", async () => {
    const secrets = {
      code: "SECRET-CODE-4f1b9e",
      state: "SECRET-STATE-91ac",
      token: "SECRET-BEARER-TOKEN-77d2",
      cookie: "SECRET-COOKIE-VALUE-0c3e",
      clientSecret: "SECRET-CLIENT-SECRET-5a5a",
      relayState: "SECRET-RELAY-STATE-12ab",
    };
    const samlResponse = base64(OKTA_RESPONSE);
    const before = h.logs.length;
    const responses = [
      await call(`/callback?code=${secrets.code}&state=${secrets.state}`, {
        headers: { cookie: `session=${secrets.cookie}; ${PIN}=${secrets.cookie}`, authorization: `Bearer ${secrets.token}` },
      }),
      await call("/saml/acs", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: secrets.relayState }).toString(),
      }),
      await call("/oauth/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`app:${secrets.clientSecret}`)}` },
        body: new URLSearchParams({ grant_type: "authorization_code", code: secrets.code, client_secret: secrets.clientSecret }).toString(),
      }),
    ];
    for (const response of responses) expect(response.status).toBe(200);
    const logged = JSON.stringify(h.logs.slice(before));
    expect(h.logs.slice(before).filter((entry) => entry.msg === "route")).toHaveLength(3);
    for (const secret of [...Object.values(secrets), samlResponse.slice(0, 40), samlResponse.slice(-40), btoa(`app:${secrets.clientSecret}`)]) {
      expect(logged).not.toContain(secret);
    }
    expect(logged).not.toContain("code=");
    expect(logged).not.toContain("?");
  });
});
