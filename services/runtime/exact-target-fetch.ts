import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import type { Fetch } from "../router/forward.ts";

/**
 * `fetch` parses its URL with the WHATWG parser, which rewrites some targets a client may send
 * (`/a/%2e%2e/b` becomes `/b`, `\` becomes `/`). The router forwards the target byte for byte,
 * so a target the parser would change is sent with node:http, which writes the path as given
 * (Bun and Deno implement it; Node's router uses undici, which does the same).
 */
export function keepsTarget(url: string): boolean {
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  const target = pathStart === -1 ? "/" : url.slice(pathStart);
  // Bun's fetch also folds a leading "//" into "/".
  if (target.startsWith("//")) return false;
  const parsed = new URL(url);
  return parsed.pathname + parsed.search === target;
}

export const exactTargetFetch: Fetch = (input, init) => {
  const url = new URL(input);
  const path = input.slice(url.origin.length) || "/";
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<Response>((resolve, reject) => {
    const outgoing = send({ host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: url.port || undefined, method: init.method ?? "GET", path, headers, signal: init.signal ?? undefined }, (answer: IncomingMessage) => {
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
};
