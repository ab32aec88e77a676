import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { demoUpstream } from "../../services/demo-upstreams/app.ts";
import type { Server } from "../../services/runtime/serve.ts";
import { attributeBomb, WORST_CASES } from "../../bench/worst-case/generators.ts";
import { DEFAULT_MAX_SAML_BYTES, DEFAULT_XML_LIMITS } from "../../shared/saml/index.ts";
import { base64, deflatedZeros, redirectEncode } from "../saml/encode.ts";
import { readFixtureText } from "../saml/fixtures.ts";
import { ASSERTION_NS, PROTOCOL_NS, samlResponse } from "../saml/samples.ts";
import { servedRouter, type Echo, type RouterHarness } from "../support/router.ts";
import { chunkedBody, rawRequest, type RawResponse } from "./raw-http.ts";

/**
 * Hostile input against the router running as a real server: each case gets a 4xx, nothing
 * (or only a configured upstream) is contacted, and the next ordinary request still works.
 */

const ISSUER = "http://www.okta.com/exkdoocxa1VmjpXmX697";

let h: RouterHarness;
let server: Server;
let base: string;
let app: ReturnType<RouterHarness["router"]>["app"];

let served: Awaited<ReturnType<typeof servedRouter>>;

beforeAll(async () => {
  served = await servedRouter();
  ({ h, app, server, base } = served);
  // If any hostile message were read as this Issuer, it would be routed to the target provider.
  await h.register("acme", [{ kind: "saml_issuer", value: ISSUER }]);
  await h.migrate("acme");
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

const call = (pathAndQuery: string, init: RequestInit = {}) =>
  fetch(base + pathAndQuery, { redirect: "manual", signal: AbortSignal.timeout(10_000), ...init });

const postForm = (path: string, fields: Record<string, string>) =>
  call(path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });

const upstreamRequests = () => [...h.legacy.requests, ...h.target.requests];

async function expectProblem(response: Response, status: number, code: string): Promise<string> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect((JSON.parse(text) as { code: string }).code).toBe(code);
  return text;
}

function expectRawProblem(response: RawResponse, status: number, code: string) {
  expect({ status: response.status, text: response.text }).toMatchObject({ status });
  expect((JSON.parse(response.text) as { code: string }).code).toBe(code);
}

/** The router keeps serving: an ordinary request right after still reaches the upstream. */
async function expectStillServing() {
  const seen = h.legacy.requests.length;
  const response = await call("/still-serving?ok=1");
  expect(response.status).toBe(200);
  const echo = (await response.json()) as Echo;
  expect(echo.provider).toBe("legacy");
  expect(echo.path).toBe("/still-serving");
  expect(h.legacy.requests.length).toBe(seen + 1);
}

const response = (inner: string, prolog = "") =>
  `<?xml version="1.0" encoding="UTF-8"?>${prolog}<samlp:Response xmlns:samlp="${PROTOCOL_NS}" xmlns:saml="${ASSERTION_NS}" ID="r1" Version="2.0" ` +
  `IssueInstant="2024-01-01T00:00:00Z">${inner}<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`;

describe("hostile SAML messages are refused before anything is forwarded", () => {
  // An entity the parser would have to fetch points at the legacy upstream: a fetch would show up there.
  const cases: [string, () => string][] = [
    ["a DOCTYPE with an external entity (XXE, file:///etc/passwd)", () => response(`<saml:Issuer>&xxe;</saml:Issuer>`, `<!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`)],
    ["a DOCTYPE with an external parameter entity on a URL", () => response(`<saml:Issuer>${ISSUER}</saml:Issuer>`, `<!DOCTYPE r [<!ENTITY % ext SYSTEM "${h.legacy.origin}/xxe.dtd"> %ext;]>`)],
    ["a DOCTYPE declared but never used", () => response(`<saml:Issuer>${ISSUER}</saml:Issuer>`, `<!DOCTYPE samlp:Response [<!ENTITY unused SYSTEM "file:///etc/passwd">]>`)],
    ["billion laughs (ruby-saml attackxee.xml)", () => readFixtureText("ruby-saml__responses_attackxee.xml")],
    [
      "billion laughs inside a SAML Response",
      () =>
        response(
          `<saml:Issuer>&l5;</saml:Issuer>`,
          `<!DOCTYPE r [<!ENTITY l0 "lollollollollol"><!ENTITY l1 "&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;"><!ENTITY l2 "&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;">` +
            `<!ENTITY l3 "&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;"><!ENTITY l4 "&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;"><!ENTITY l5 "&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;">]>`,
        ),
    ],
    ["several root elements (node-saml multiple-root-elements)", () => readFixtureText("node-saml__signatures_invalid_response.root-signed.multiple-root-elements.xml")],
    ["several root elements (samlify NameID before the Response)", () => readFixtureText("samlify__attack_response_signed.xml")],
    ["a second Response appended after a valid one", () => response(`<saml:Issuer>${ISSUER}</saml:Issuer>`) + response(`<saml:Issuer>https://evil.example.com</saml:Issuer>`).replace(/^<\?xml[^>]*\?>/, "")],
  ];

  test.each(cases)("POST SAMLResponse with %s → 400 invalid_saml_message", async (_, xml) => {
    const text = await expectProblem(await postForm("/saml/acs", { SAMLResponse: base64(xml()), RelayState: "r" }), 400, "invalid_saml_message");
    expect(text).not.toContain("root:");
    expect(upstreamRequests()).toEqual([]);
    await expectStillServing();
  });

  test("two SAMLResponse fields in one post (the router would route on the first, a provider may read the last) → 400, nothing forwarded", async () => {
    const one = base64(samlResponse({ responseIssuer: "http://one.example/idp" }));
    const two = base64(samlResponse({ responseIssuer: "http://two.example/idp" }));
    const body = `SAMLResponse=${encodeURIComponent(one)}&RelayState=r&SAMLResponse=${encodeURIComponent(two)}`;
    const response = await call("/saml/acs", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    const text = await expectProblem(response, 400, "invalid_saml_message");
    expect(text).toContain("more than one");
    expect(upstreamRequests()).toEqual([]);
  });

  test("a Redirect-binding SAMLRequest with an XXE DOCTYPE → 400 invalid_saml_message", async () => {
    const xml =
      `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><samlp:AuthnRequest xmlns:samlp="${PROTOCOL_NS}" xmlns:saml="${ASSERTION_NS}" ID="q1" Version="2.0">` +
      `<saml:Issuer>&xxe;</saml:Issuer></samlp:AuthnRequest>`;
    await expectProblem(await call(`/sso?SAMLRequest=${encodeURIComponent(await redirectEncode(xml))}`), 400, "invalid_saml_message");
    expect(upstreamRequests()).toEqual([]);
    await expectStillServing();
  });

  test.each([
    ["characters outside the alphabet", "PHNhbWxwOlJlc3BvbnNlPg==!!"],
    ["a wrong length", "PHNhbWxwOlJlc3BvbnNl"],
    ["padding in the middle", "PHN=hbWxwOlJlc3BvbnNl"],
    ["only padding", "===="],
    ["broken percent-encoding", "%E0%A4%A"],
    ["valid base64 of something that is not XML", btoa("hello, I am not a SAML message")],
  ])("a SAMLResponse that is bad base64 (%s) → 400 invalid_saml_message", async (_, value) => {
    await expectProblem(await postForm("/saml/acs", { SAMLResponse: value }), 400, "invalid_saml_message");
    expect(upstreamRequests()).toEqual([]);
    await expectStillServing();
  });
});

describe("SAML messages over a structural limit are refused before any parsing", () => {
  test("four concurrent SAMLResponses with 36,000 attributes on the root (issue 10) → 400 naming the limit, and logins keep flowing", async () => {
    const xml = attributeBomb(36_000);
    expect(new TextEncoder().encode(xml).length).toBeLessThan(DEFAULT_MAX_SAML_BYTES);
    const bomb = base64(xml);
    const answers = await Promise.all(Array.from({ length: 4 }, () => postForm("/saml/acs", { SAMLResponse: bomb, RelayState: "r" })));
    for (const answer of answers) {
      const text = await expectProblem(answer, 400, "invalid_saml_message");
      expect(JSON.parse(text)).toMatchObject({ limit: "maxAttributesPerElement", max: DEFAULT_XML_LIMITS.maxAttributesPerElement });
    }
    expect(upstreamRequests()).toEqual([]);
    await expectStillServing();
  });

  const limited = WORST_CASES.filter((c) => c.limit !== undefined);
  test.each(limited.map((c) => [c.limit!, c] as const))("one over %s → 400 invalid_saml_message naming it, nothing forwarded", async (limit, worstCase) => {
    const xml = worstCase.build({ ...DEFAULT_XML_LIMITS, [limit]: DEFAULT_XML_LIMITS[limit] + 1 }, DEFAULT_MAX_SAML_BYTES);
    const text = await expectProblem(await postForm("/saml/acs", { SAMLResponse: base64(xml) }), 400, "invalid_saml_message");
    expect(JSON.parse(text)).toMatchObject({ limit, max: DEFAULT_XML_LIMITS[limit] });
    expect(upstreamRequests()).toEqual([]);
  });
});

describe("DEFLATE bombs in the Redirect binding", () => {
  test("a SAMLRequest that inflates to 50 MB of zeros → 400 invalid_saml_message, quickly, nothing forwarded", async () => {
    const bomb = encodeURIComponent(base64(await deflatedZeros(50 * 1024 * 1024)));
    // 68 KB of query is over the HTTP server's request-line limit (431, asserted below); in-process
    // the router itself must refuse it.
    const started = performance.now();
    const refused = await app.request(`https://auth.example.test/sso?SAMLRequest=${bomb}&RelayState=r`);
    expect(performance.now() - started).toBeLessThan(2000);
    await expectProblem(refused, 400, "invalid_saml_message");
    const overTheWire = await call(`/sso?SAMLRequest=${bomb}`);
    expect(overTheWire.status).toBeGreaterThanOrEqual(400);
    expect(overTheWire.status).toBeLessThan(500);
    expect(upstreamRequests()).toEqual([]);
    await expectStillServing();
  });

  test("a SAMLRequest that inflates to 8 MB of zeros, over the wire → 400 invalid_saml_message, quickly, nothing forwarded", async () => {
    const bomb = encodeURIComponent(base64(await deflatedZeros(8 * 1024 * 1024)));
    const started = performance.now();
    const refused = await call(`/sso?SAMLRequest=${bomb}`);
    expect(performance.now() - started).toBeLessThan(2000);
    await expectProblem(refused, 400, "invalid_saml_message");
    expect(upstreamRequests()).toEqual([]);
    await expectStillServing();
  });
});

describe("bodies over the limit", () => {
  const TEN_MB = 10 * 1024 * 1024;

  test("a 10 MB body with a Content-Length → 413 body_too_large", async () => {
    const refused = await call("/upload", { method: "POST", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array(TEN_MB) });
    await expectProblem(refused, 413, "body_too_large");
    expect(upstreamRequests()).toEqual([]);
    await expectStillServing();
  });

  test("a 10 MB chunked body without a Content-Length (raw socket) → 413 body_too_large", async () => {
    const refused = await rawRequest(
      server.port,
      `POST /upload HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n`,
      { body: chunkedBody(TEN_MB), timeoutMs: 10_000 },
    );
    expectRawProblem(refused, 413, "body_too_large");
    expect(upstreamRequests()).toEqual([]);
    await expectStillServing();
  });

  test("a 10 MB streamed form body without a Content-Length → 413 body_too_large", async () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= TEN_MB) return controller.close();
        const chunk = new TextEncoder().encode(sent === 0 ? "SAMLResponse=" : "A".repeat(64 * 1024));
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const refused = await call("/saml/acs", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body, duplex: "half" } as RequestInit);
    await expectProblem(refused, 413, "body_too_large");
    expect(upstreamRequests()).toEqual([]);
    await expectStillServing();
  });
});

describe("header injection", () => {
  const INJECTED = "%0d%0aSet-Cookie:%20evil=1";

  function expectNoInjectedHeaders(responseCookies: string[]) {
    expect(responseCookies.filter((c) => c.includes("evil"))).toEqual([]);
    for (const request of upstreamRequests()) {
      expect(request.headers.get("set-cookie")).toBeNull();
      request.headers.forEach((value, name) => {
        expect(`${name}: ${value}`).not.toMatch(/[\r\n]/);
        expect(name).not.toBe("evil");
      });
    }
  }

  test("an encoded CR/LF in the query does not become a response or upstream header", async () => {
    const forwarded = await call(`/authorize?redirect_uri=https://app.example/cb${INJECTED}&state=x${INJECTED}`);
    expect(forwarded.status).toBe(200);
    const echo = (await forwarded.json()) as Echo;
    expect(echo.query).toBe(`redirect_uri=https://app.example/cb${INJECTED}&state=x${INJECTED}`);
    expect(upstreamRequests()).toHaveLength(1);
    expectNoInjectedHeaders(forwarded.headers.getSetCookie());
  });

  test("an encoded CR/LF in a form value does not become a response or upstream header", async () => {
    const body = `client_id=app${INJECTED}&login_hint=a%40b.example${INJECTED}`;
    const forwarded = await call("/authorize", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    expect(forwarded.status).toBe(200);
    expect(upstreamRequests()).toHaveLength(1);
    expectNoInjectedHeaders(forwarded.headers.getSetCookie());
  });

  test("an encoded CR/LF in the path stays encoded on the way to the upstream", async () => {
    const forwarded = await rawRequest(server.port, `GET /x${INJECTED}/y HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`);
    expect(forwarded.status).toBe(200);
    expect((JSON.parse(forwarded.text) as Echo).path).toBe(`/x${INJECTED}/y`);
    expect(forwarded.headers.filter(([name, value]) => name === "set-cookie" && value.includes("evil"))).toEqual([]);
    expectNoInjectedHeaders([]);
    await expectStillServing();
  });

  test.each([
    ["a bare CR inside a header value", "X-Note: a\rSet-Cookie: evil=1\r\n"],
    ["an obsolete folded header line", "X-Note: a\r\n Set-Cookie: evil=1\r\n"],
    ["a NUL inside a header value", "X-Note: a\u0000b\r\n"],
    ["Content-Length and Transfer-Encoding together (request smuggling)", "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"],
  ])("%s → 4xx, nothing forwarded", async (_, header) => {
    const smuggled = `0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`;
    const refused = await rawRequest(server.port, `POST /x HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n${header}Connection: close\r\n\r\n${smuggled}`);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(refused.headers.filter(([name, value]) => name === "set-cookie" && value.includes("evil"))).toEqual([]);
    expect(upstreamRequests()).toEqual([]);
    await expectStillServing();
  });
});

describe("request targets and Host headers never choose where a request goes", () => {
  const head = (requestLine: string, host: string | null) =>
    `${requestLine}\r\n${host === null ? "" : `Host: ${host}\r\n`}Connection: close\r\n\r\n`;
  const routerHost = () => `127.0.0.1:${server.port}`;
  const sawPath = (fragment: string) => upstreamRequests().filter((r) => r.url.includes(fragment));

  test.each([
    ["GET http://evil.example.com/steal HTTP/1.1"],
    ["GET https://evil.example.com:8443/steal?x=1 HTTP/1.1"],
    ["GET http://127.0.0.1@evil.example.com/steal HTTP/1.1"],
  ])("an absolute-form target naming another host (%s) is refused, or reaches only a configured upstream", async (requestLine) => {
    // Node and Deno hand the router the target's authority and it refuses it (invalid_request_target);
    // Bun drops the authority and rebuilds the URL from Host before the app runs. Either way the
    // only host ever contacted is a configured upstream.
    const answered = await rawRequest(server.port, head(requestLine, routerHost()));
    if (answered.status === 200) {
      expect(upstreamRequests().map((r) => new URL(r.url).origin)).toEqual([h.legacy.origin]);
    } else {
      expect(answered.status).toBeGreaterThanOrEqual(400);
      expect(answered.status).toBeLessThan(500);
      expect(sawPath("/steal")).toEqual([]);
    }
    await expectStillServing();
  });

  test("an authority-form CONNECT to another host → 4xx, nothing forwarded", async () => {
    const refused = await rawRequest(server.port, head("CONNECT evil.example.com:443 HTTP/1.1", "evil.example.com:443"));
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(upstreamRequests()).toEqual([]);
    await expectStillServing();
  });

  test("a foreign Host header is forwarded only to the configured upstream, with the upstream's own Host", async () => {
    const forwarded = await rawRequest(server.port, head("GET /x?y=1 HTTP/1.1", "evil.example.com"));
    expect(forwarded.status).toBe(200);
    expect(h.target.requests).toEqual([]);
    expect(h.legacy.requests).toHaveLength(1);
    expect(h.legacy.requests[0]!.url).toBe(`${h.legacy.origin}/x?y=1`);
    expect(h.legacy.requests[0]!.headers.get("host")).toBe(`127.0.0.1:${h.legacy.port}`);
    expect(h.legacy.requests[0]!.headers.get("x-forwarded-host")).toBe("auth.example.test");
    await expectStillServing();
  });

  test.each([
    ["two Host headers", "127.0.0.1\r\nHost: evil.example.com"],
    ["userinfo in Host", "a@evil.example.com"],
    ["a path in Host", "evil.example.com/steal"],
  ])("a malformed Host (%s) is refused or forwarded only to the configured upstream", async (_, host) => {
    const answered = await rawRequest(server.port, head("GET /probe HTTP/1.1", host));
    const requests = upstreamRequests();
    if (answered.status === 200) {
      expect(requests.map((r) => new URL(r.url).origin)).toEqual([h.legacy.origin]);
      expect(requests[0]!.headers.get("host")).toBe(`127.0.0.1:${h.legacy.port}`);
    } else {
      expect(answered.status).toBeGreaterThanOrEqual(400);
      expect(answered.status).toBeLessThan(500);
      expect(requests).toEqual([]);
    }
    await expectStillServing();
  });

  test("an HTTP/1.0 request without a Host header keeps its path and query, or is refused", async () => {
    const answered = await rawRequest(server.port, "GET /login/callback?code=abc&state=s HTTP/1.0\r\n\r\n");
    const requests = upstreamRequests();
    if (answered.status === 200) {
      expect(requests).toHaveLength(1);
      expect(requests[0]!.url).toBe(`${h.legacy.origin}/login/callback?code=abc&state=s`);
    } else {
      expect(answered.status).toBeGreaterThanOrEqual(400);
      expect(answered.status).toBeLessThan(500);
      expect(requests).toEqual([]);
    }
    await expectStillServing();
  });
});
