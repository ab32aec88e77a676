/**
 * A stand-in identity provider for trying ssomigrate: it answers every request with what it
 * received, so anyone can see which provider a request reached and that its bytes arrived
 * unchanged (compare `bodySha256` with `sha256sum` of what you sent).
 */
export function demoUpstream(provider: string): (request: Request) => Promise<Response> {
  return async function echo(request) {
    const target = request.url.slice(request.url.indexOf("/", request.url.indexOf("//") + 2));
    const queryAt = target.indexOf("?");
    const body = new Uint8Array(await request.arrayBuffer());
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return Response.json({
      provider,
      method: request.method,
      path: queryAt === -1 ? target : target.slice(0, queryAt),
      query: queryAt === -1 ? "" : target.slice(queryAt + 1),
      bodySha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
      headers,
    });
  };
}
