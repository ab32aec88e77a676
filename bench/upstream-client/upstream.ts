// A fast local upstream for the client benchmark: 2 KB answer to anything.
const body = "x".repeat(2048);
const server = Bun.serve({ port: Number(process.env.PORT ?? 9555), hostname: "127.0.0.1", fetch: async (r) => (await r.arrayBuffer(), new Response(body, { headers: { "content-type": "text/plain" } })) });
console.log(`upstream on :${server.port}`);
export {};
