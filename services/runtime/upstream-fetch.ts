import { readFile } from "node:fs/promises";
import type { ProviderConfig } from "../../shared/config.ts";
import { ConfigError } from "../../shared/errors.ts";
import { runtimeName } from "./serve.ts";
import type { Fetch } from "../router/forward.ts";
import { exactTargetFetch, keepsTarget } from "./exact-target-fetch.ts";

/**
 * The client the router uses to reach providers. Bun's `fetch` is fast and sends the Host header
 * it is given. Node's built-in `fetch` (undici behind a WHATWG layer) costs several times more
 * per request than undici's own pooled `request`, so on Node the router uses that and wraps the
 * answer in a Web `Response` (bench/upstream-client measures both). Deno's `fetch` drops a Host
 * header unless its client allows it, and cannot choose the TLS server name, so on Deno a
 * provider with `serverName` is reached through undici (which runs on Deno's Node layer).
 *
 * TLS is per provider origin: `serverName` is the SNI sent and the name the certificate must
 * carry; `caFile` adds CA certificates trusted for that origin only. Verification is never off.
 */
export async function upstreamFetch(providers: readonly ProviderConfig[] = []): Promise<Fetch> {
  const tls = await tlsByOrigin(providers);
  // undici writes the target as given; Bun's and Deno's fetch parse it (WHATWG), so a target the
  // parser would rewrite (dot segments, `%2e`) goes out through node:http exactly as received.
  if (runtimeName() === "node") return nodeUndiciFetch(tls);
  const fast = runtimeName() === "bun" ? bunFetch(tls) : await denoFetch(tls);
  return (input, init) => (keepsTarget(input) ? fast(input, init) : exactTargetFetch(input, init, originIn(tls, input)));
}

/** How to reach one origin over TLS, when it differs from the defaults. */
export type OriginTls = { serverName?: string; ca?: string };

async function tlsByOrigin(providers: readonly ProviderConfig[]): Promise<Map<string, OriginTls>> {
  const byOrigin = new Map<string, OriginTls>();
  for (const [i, p] of providers.entries()) {
    if (p.serverName === undefined && p.caFile === undefined) continue;
    byOrigin.set(p.origin, { ...(p.serverName ? { serverName: p.serverName } : {}), ...(p.caFile ? { ca: await readCa(p.caFile, `SSOMIG_CONFIG providers.${i}.caFile`) } : {}) });
  }
  return byOrigin;
}

async function readCa(path: string, setting: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch {
    throw new ConfigError(setting, `cannot read ${path}`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new ConfigError(setting, `${path} holds no PEM certificate`);
  return pem;
}

/** The origin an upstream URL (always `origin + path`, built by forward.ts) belongs to, among the configured ones. */
function originIn<T>(byOrigin: Map<string, T>, input: string): T | undefined {
  for (const [origin, value] of byOrigin) if (input.startsWith(origin) && (input.length === origin.length || input[origin.length] === "/" || input[origin.length] === "?")) return value;
  return undefined;
}

function bunFetch(tls: Map<string, OriginTls>): Fetch {
  if (tls.size === 0) return (input, init) => fetch(input, init);
  // Bun's fetch takes `tls: { serverName, ca }` per request; its pool keys connections by them.
  return (input, init) => {
    const options = originIn(tls, input);
    return fetch(input, options ? ({ ...init, tls: options } as RequestInit) : init);
  };
}

type DenoClient = { close(): void };
declare const Deno: { createHttpClient(o: { allowHost?: boolean; caCerts?: string[] }): DenoClient };

async function denoFetch(tls: Map<string, OriginTls>): Promise<Fetch> {
  const plain = Deno.createHttpClient({ allowHost: true });
  const clients = new Map<string, DenoClient>();
  const needsUndici = new Map<string, OriginTls>();
  for (const [origin, options] of tls) {
    if (options.serverName) needsUndici.set(origin, options);
    else clients.set(origin, Deno.createHttpClient({ allowHost: true, ...(options.ca ? { caCerts: [options.ca] } : {}) }));
  }
  const undici = needsUndici.size > 0 ? await nodeUndiciFetch(needsUndici) : null;
  return (input, init) => {
    if (undici && originIn(needsUndici, input)) return undici(input, init);
    return fetch(input, { ...init, client: originIn(clients, input) ?? plain } as RequestInit);
  };
}

const NO_BODY_STATUS = new Set([101, 204, 205, 304]);

async function nodeUndiciFetch(tls: Map<string, OriginTls>): Promise<Fetch> {
  const { Pool } = await import("undici");
  const pools = new Map<string, { pool: InstanceType<typeof Pool>; servername: string | undefined }>();
  const poolFor = (url: URL) => {
    let entry = pools.get(url.origin);
    if (!entry) {
      const options = tls.get(url.origin);
      const pool = new Pool(url.origin, { connections: 128, keepAliveTimeout: 30_000, ...(options?.ca ? { connect: { ca: options.ca } } : {}) });
      // Named explicitly: otherwise undici takes the SNI from the Host header, unlike Bun and Deno
      // (an IP origin without serverName still gets that: undici has no way to say "none").
      const servername = options?.serverName ?? (/^[\d.]+$|^\[/.test(url.hostname) ? undefined : url.hostname);
      pools.set(url.origin, (entry = { pool, servername }));
    }
    return entry;
  };
  return async function undiciFetch(input, init) {
    const url = new URL(input);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = init.body as Uint8Array | undefined;
    const { pool, servername } = poolFor(url);
    const answer = await pool.request({
      method: (init.method ?? "GET") as "GET",
      path: input.slice(url.origin.length) || "/",
      headers,
      body: body ?? null,
      signal: init.signal ?? null,
      ...(servername ? { servername } : {}),
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) responseHeaders.append(name, one);
    }
    if (NO_BODY_STATUS.has(answer.statusCode) || init.method === "HEAD") {
      answer.body.resume();
      return new Response(null, { status: answer.statusCode, headers: responseHeaders });
    }
    // Pull-based: a chunk is read from the socket only when the client side asks for one.
    const chunks = answer.body[Symbol.asyncIterator]();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value as Uint8Array);
      },
      cancel: () => void answer.body.destroy(),
    });
    return new Response(stream, { status: answer.statusCode, headers: responseHeaders });
  };
}
