import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { Runtime } from "../support/processes.ts";
import { rawExchange, rawRequest } from "../router/raw-http.ts";
import { recordingUpstream, routerProcess, type RecordingUpstream, type RouterProcess } from "./edge-harness.ts";

/** Request lines and headers written on a raw socket to a router process on each runtime. */
const HOST = "Host: auth.example.test\r\n";

for (const runtime of ["bun", "node", "deno"] as Runtime[]) {
  describe(`router on ${runtime}`, () => {
    let upstream: RecordingUpstream;
    let router: RouterProcess;
    beforeAll(async () => {
      upstream = await recordingUpstream();
      router = await routerProcess(runtime, upstream);
    }, 60_000);
    afterAll(async () => {
      await router?.close();
      await upstream?.stop();
    }, 30_000);
    beforeEach(() => {
      upstream.received.length = 0;
    });

    test("a POST with Expect: 100-continue reaches the provider with its body unchanged", async () => {
      const body = "SAMLResponse=PHNhbWw%2BPC9zYW1sPg%3D%3D&RelayState=x";
      const response = await rawRequest(
        router.port,
        `POST /login/callback HTTP/1.1\r\n${HOST}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
        { body: [new TextEncoder().encode(body)] },
      );
      expect({ status: response.status, text: response.text }).toMatchObject({ status: 200 });
      expect(upstream.received).toHaveLength(1);
      expect(new TextDecoder().decode(upstream.received[0]!.body)).toBe(body);
    });

    test("an absolute-form target naming another host is refused with 400 and reaches no provider", async () => {
      const response = await rawRequest(router.port, `GET http://evil.example/authorize?x=1 HTTP/1.1\r\n${HOST}\r\n`);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.text)).toMatchObject({ code: "invalid_request_target" });
      expect(upstream.received).toHaveLength(0);
    });

    for (const requestLine of [
      "GET https://evil.example/authorize HTTP/1.1",
      "GET http://auth.example.test@evil.example/authorize HTTP/1.1",
      "GET http://auth.example.test:8443/authorize HTTP/1.1",
      "GET evil.example/authorize HTTP/1.1",
      "CONNECT evil.example:443 HTTP/1.1",
    ]) {
      test(`"${requestLine}" is refused and reaches no provider`, async () => {
        // The runtime may refuse it before the router sees it (a 4xx, or node:http closing on a CONNECT it has no handler for).
        const outcome = await rawRequest(router.port, `${requestLine}\r\n${HOST}\r\n`).then(
          (response) => (response.status >= 400 && response.status < 500 ? "refused" : `answered ${response.status}`),
          (error: Error) => (error.message.startsWith("connection closed before a complete response") ? "refused" : error.message),
        );
        expect(outcome).toBe("refused");
        expect(upstream.received).toHaveLength(0);
      });
    }

    test("an absolute-form target naming this host reaches the provider as its path", async () => {
      const response = await rawRequest(router.port, `GET http://auth.example.test/a/%2e%2e/b?x=1 HTTP/1.1\r\n${HOST}\r\n`);
      expect(response.status).toBe(200);
      expect(upstream.received.map((r) => r.target)).toEqual(["/a/%2e%2e/b?x=1"]);
    });

    for (const target of ["/a/%2e%2e/b?q=%2e", "/a/%2E%2e/%2e/b", "/a/../b", "/a/./b", "//double//slash"]) {
      test(`the request target ${target} reaches the provider byte for byte`, async () => {
        const response = await rawRequest(router.port, `GET ${target} HTTP/1.1\r\n${HOST}\r\n`);
        expect(response.status).toBe(200);
        expect(upstream.received.map((r) => r.target)).toEqual([target]);
      });
    }

    test("client-sent True-Client-IP and X-Real-IP are dropped, never forwarded as the router's", async () => {
      const response = await rawRequest(router.port, `GET /authorize HTTP/1.1\r\n${HOST}True-Client-IP: 203.0.113.7\r\nX-Real-IP: 203.0.113.8\r\n\r\n`);
      expect(response.status).toBe(200);
      const names = upstream.received[0]!.headers.map(([name]) => name);
      expect(names).not.toContain("true-client-ip");
      expect(names).not.toContain("x-real-ip");
      expect(upstream.received[0]!.header("x-forwarded-for")).toBe("127.0.0.1");
    });

    test("pipelined requests each get their own answer, in order", async () => {
      const body = "a=1&b=2";
      const head =
        `GET /first HTTP/1.1\r\n${HOST}\r\n` +
        `POST /second HTTP/1.1\r\n${HOST}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        `GET /third HTTP/1.1\r\n${HOST}\r\n`;
      const { responses } = await rawExchange(router.port, head, 3);
      // Either every request is answered, or the router refuses the pipeline; never a request forwarded whose answer is lost.
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(responses.map((r) => (JSON.parse(r.text) as { target: string }).target)).toEqual(["/first", "/second", "/third"]);
      // Node's server handles pipelined requests concurrently: each is forwarded once, the answers keep their order.
      expect(upstream.received.map((r) => r.target).sort()).toEqual(["/first", "/second", "/third"]);
    });
  });
}
