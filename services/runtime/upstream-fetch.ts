import type { Fetch } from "../router/forward.ts";

/**
 * The client the router uses to reach providers. Every runtime's `fetch` sends the Host header
 * it is given; the per-runtime choice of a faster client goes here.
 */
export function upstreamFetch(): Fetch {
  return (input, init) => fetch(input, init);
}
