/**
 * How fast each runtime's upstream client is, through the router's own Fetch (services/runtime/
 * upstream-fetch.ts) and the runtime's plain `fetch`, against one local HTTP server.
 *
 *   bun bench/upstream-client/upstream.ts &      # a fast upstream on :9555
 *   bun bench/upstream-client/run.ts            (or: npx tsx ..., deno run -A ...)
 */
import { upstreamFetch } from "../../services/runtime/upstream-fetch.ts";
import { runtimeName } from "../../services/runtime/serve.ts";
import type { Fetch } from "../../services/router/forward.ts";

const REQUESTS = Number(process.env.REQUESTS ?? 5000);
const CONCURRENCY = 32;
// The upstream runs in its own process (bench/upstream-client/upstream.ts), so only the client is measured here.
const origin = process.env.UPSTREAM ?? "http://127.0.0.1:9555";

async function run(name: string, client: Fetch) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < REQUESTS) {
        const response = await client(`${origin}/x?y=1`, { method: "POST", headers: { host: "upstream.test", "content-type": "application/x-www-form-urlencoded" }, body: new TextEncoder().encode("a=1&b=2"), redirect: "manual" });
        await response.arrayBuffer();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(`${runtimeName().padEnd(5)} ${name.padEnd(22)} ${(REQUESTS / seconds).toFixed(0).padStart(7)} req/s`);
}

const plain: Fetch = (input, init) => fetch(input, init);
await run("fetch (warm-up)", plain);
await run("built-in fetch", plain);
await run("router upstream client", await upstreamFetch());
process.exit(0);
