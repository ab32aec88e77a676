// The benchmark's provider stand-in: reads the body, answers a small JSON document (like a token
// endpoint or a redirect page would), on a port given as PORT. Runs in its own process.
const answer = JSON.stringify({ ok: true, note: "upstream answer of a typical small size".repeat(2) });
const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
  fetch: async (request) => {
    if (request.body) await request.arrayBuffer();
    return new Response(answer, { headers: { "content-type": "application/json" } });
  },
});
console.log(`ssomigrate bench upstream on :${server.port}`);
export {};
