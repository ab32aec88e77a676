import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseConfig } from "../../shared/config.ts";
import { CodedError, ConfigError } from "../../shared/errors.ts";
import { createForwarder } from "../../services/router/forward.ts";
import { providerRules } from "../../services/router/provider-headers.ts";
import { upstreamFetch } from "../../services/runtime/upstream-fetch.ts";
import { tempDir } from "../support/processes.ts";
import { sniUpstream } from "./test-certificates.ts";

/**
 * A custom domain served by a provider's edge: the origin is reached by another name (here
 * 127.0.0.1) and answers only to the public host's server name. The upstream is a real HTTPS
 * server with a certificate from a CA generated for this run; the router's real upstream client
 * for this runtime (Bun's fetch under `bun test`) reaches it. Other runtimes: runtime-tls.test.ts.
 */
const PUBLIC_HOST = "auth.example.test";
let upstream: Awaited<ReturnType<typeof sniUpstream>>;
let dir: ReturnType<typeof tempDir>;
let caFile: string;

beforeAll(async () => {
  upstream = await sniUpstream(PUBLIC_HOST);
  dir = tempDir();
  caFile = dir.write("provider-ca.pem", upstream.ca);
});
afterAll(() => {
  upstream?.stop();
  dir?.cleanup();
});

async function forwardWith(settings: Record<string, unknown>): Promise<Response> {
  const config = parseConfig({
    publicUrl: `https://${PUBLIC_HOST}`,
    providers: [
      { id: "edge", role: "legacy", origin: upstream.origin, timeoutMs: 5000, ...settings },
      { id: "other", role: "target", origin: "http://127.0.0.1:9" },
    ],
  });
  const forward = createForwarder({ publicUrl: config.publicUrl, fetch: await upstreamFetch(config.providers), rules: providerRules({ providers: config.providers, values: new Map() }) });
  return forward(config.providers[0]!, { method: "GET", target: "/oauth2/authorize?client_id=app", headers: new Headers(), body: null, clientIp: "203.0.113.9" });
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => (error instanceof CodedError ? error.code : String(error)),
  );

describe("reaching an origin by another name", () => {
  test("serverName, hostHeader and the provider's own CA: the edge answers", async () => {
    const response = await forwardWith({ serverName: PUBLIC_HOST, hostHeader: PUBLIC_HOST, caFile });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as { path: string; headers: Record<string, string> };
    expect(echo.path).toBe("/oauth2/authorize");
    expect(echo.headers.host).toBe(PUBLIC_HOST);
  });

  test("without serverName the edge sees no server name and its certificate is refused", async () => {
    expect(await failure(forwardWith({ hostHeader: PUBLIC_HOST, caFile }))).toBe("upstream_unreachable");
  });

  test("another serverName is refused: the certificate the edge serves must carry the name sent", async () => {
    expect(await failure(forwardWith({ serverName: "other.example.test", hostHeader: PUBLIC_HOST, caFile }))).toBe("upstream_unreachable");
  });

  test("the test CA is trusted only where configured: without caFile the certificate is refused", async () => {
    expect(await failure(forwardWith({ serverName: PUBLIC_HOST, hostHeader: PUBLIC_HOST }))).toBe("upstream_unreachable");
    expect(upstream.requests.every((r) => r.headers.get("host") === PUBLIC_HOST)).toBe(true);
  });

  test("an unreadable caFile stops the start with the setting named", async () => {
    const error = await upstreamFetch(parseConfig({ publicUrl: "https://a.test", providers: [{ id: "a", role: "legacy", origin: "https://a.test", caFile: `${dir.path}/missing.pem` }, { id: "b", role: "target", origin: "https://b.test" }] }).providers).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("providers.0.caFile");
  });
});
