// The ceiling for any proxy built on Bun.serve and fetch on this machine: read the body, pass
// method, path, headers and body to the upstream, stream the answer back. No routing, no checks.
// The proxy benchmark runs it beside the router so the gap between them is the router's own cost.
export {};
const upstream = process.env.UPSTREAM!;
const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
  async fetch(request) {
    const url = request.url;
    const target = url.slice(url.indexOf("/", url.indexOf("//") + 2));
    const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
    const answer = await fetch(upstream + target, { method: request.method, headers: request.headers, body, redirect: "manual" });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  },
});
console.log(`ssomigrate bench bare proxy on :${server.port}`);
