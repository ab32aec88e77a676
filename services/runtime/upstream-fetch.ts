import { runtimeName } from "./serve.ts";
import type { Fetch } from "../router/forward.ts";
import { exactTargetFetch, keepsTarget } from "./exact-target-fetch.ts";

/**
 * The client the router uses to reach providers. Bun's and Deno's `fetch` are fast and send the
 * Host header they are given. Node's built-in `fetch` (undici behind a WHATWG layer) costs
 * several times more per request than undici's own pooled `request`, so on Node the router
 * uses that and wraps the answer in a Web `Response` (bench/upstream-client measures both).
 */
export async function upstreamFetch(): Promise<Fetch> {
  // A target fetch would rewrite (dot segments, `%2e`) goes out through node:http as received.
  if (runtimeName() !== "node") return (input, init) => (keepsTarget(input) ? fetch(input, init) : exactTargetFetch(input, init));
  return nodeUndiciFetch();
}

const NO_BODY_STATUS = new Set([101, 204, 205, 304]);

async function nodeUndiciFetch(): Promise<Fetch> {
  const { Pool } = await import("undici");
  const pools = new Map<string, InstanceType<typeof Pool>>();
  const poolFor = (origin: string) => {
    let pool = pools.get(origin);
    if (!pool) pools.set(origin, (pool = new Pool(origin, { connections: 128, keepAliveTimeout: 30_000 })));
    return pool;
  };
  return async function undiciFetch(input, init) {
    const url = new URL(input);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = init.body as Uint8Array | undefined;
    const answer = await poolFor(url.origin).request({
      method: (init.method ?? "GET") as "GET",
      path: input.slice(url.origin.length) || "/",
      headers,
      body: body ?? null,
      signal: init.signal ?? null,
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
