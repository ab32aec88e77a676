import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import type { OriginTls } from "./upstream-fetch.ts";

/**
 * `fetch` parses its URL with the WHATWG parser, which rewrites some targets a client may send
 * (`/a/%2e%2e/b` becomes `/b`, `\` becomes `/`). The router forwards the target byte for byte,
 * so a target the parser would change is sent with node:http, which writes the path as given
 * (Bun and Deno implement it; Node's router uses undici, which does the same).
 */
/** The path and query of an upstream URL exactly as written (origin + received target). */
function targetOf(url: string): string {
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  return pathStart === -1 ? "/" : url.slice(pathStart);
}

export function keepsTarget(url: string): boolean {
  const target = targetOf(url);
  // Bun's fetch also folds a leading "//" into "/".
  if (target.startsWith("//")) return false;
  // Only these characters can be rewritten (resolved, re-encoded or cut): the usual target has
  // none of them and skips the parse.
  const queryAt = target.indexOf("?");
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = queryAt === -1 ? "" : target.slice(queryAt);
  if (!/[.%\\\x00-\x20"#<>`{}\x7f-\uffff]/.test(path) && !/[\x00-\x20"#'<>\x7f-\uffff]/.test(query)) return true;
  const parsed = new URL(url);
  return parsed.pathname + parsed.search === target;
}

/** `tls`: the provider's own server name and CA (upstream-fetch.ts), as every other path honours them. */
export function exactTargetFetch(input: string, init: RequestInit, tls?: OriginTls): Promise<Response> {
  const url = new URL(input);
  const path = targetOf(input);
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  const https = url.protocol === "https:";
  const send = https ? httpsRequest : httpRequest;
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  // Named explicitly: node:https would otherwise take the SNI from the Host header.
  const servername = tls?.serverName ?? (/^[\d.]+$|:/.test(host) ? undefined : host);
  const secure = https ? { ...(servername ? { servername } : {}), ...(tls?.ca ? { ca: tls.ca } : {}) } : {};
  return new Promise<Response>((resolve, reject) => {
    const outgoing = send({ ...secure, host, port: url.port || undefined, method: init.method ?? "GET", path, headers, signal: init.signal ?? undefined }, (answer: IncomingMessage) => {
      const responseHeaders = new Headers();
      for (let i = 0; i < answer.rawHeaders.length; i += 2) responseHeaders.append(answer.rawHeaders[i]!, answer.rawHeaders[i + 1]!);
      const empty = init.method === "HEAD" || [101, 204, 205, 304].includes(answer.statusCode ?? 0);
      if (empty) answer.resume();
      const body = empty ? null : (Readable.toWeb(answer) as unknown as ReadableStream<Uint8Array>);
      resolve(new Response(body, { status: answer.statusCode ?? 502, statusText: answer.statusMessage ?? "", headers: responseHeaders }));
    });
    outgoing.on("error", reject);
    outgoing.end(init.body ? (init.body as Uint8Array) : undefined);
  });
}
