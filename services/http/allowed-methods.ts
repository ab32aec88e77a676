/**
 * Which methods an app serves at a path, from its own route table: a request with another method
 * gets 405 and an `Allow` header (RFC 9110 §15.5.6) instead of a 404 that would suggest the path
 * does not exist. Only the route patterns this project uses are understood (`:param` segments and
 * a trailing `*`); middleware (method ALL) is not a route.
 */
type Route = { method: string; path: string };

const PATTERN_CHARS = /[.+?^${}()|[\]\\]/g;

function compile(path: string): RegExp {
  const body = path
    .split("/")
    .map((segment) => (segment === "*" ? ".*" : segment.startsWith(":") ? "[^/]+" : segment.replace(PATTERN_CHARS, "\\$&")))
    .join("/");
  return new RegExp(`^${body}/?$`);
}

export function allowedMethods(routes: readonly Route[]): (path: string) => string[] {
  let compiled: { method: string; pattern: RegExp }[] | undefined;
  return (path) => {
    // Compiled on first use: by then every route is registered.
    compiled ??= routes.filter((r) => r.method !== "ALL").map((r) => ({ method: r.method, pattern: compile(r.path) }));
    const methods = new Set(compiled.filter((r) => r.pattern.test(path)).map((r) => r.method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  };
}
