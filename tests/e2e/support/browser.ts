/**
 * A browser as far as SSO needs one: a cookie jar (one Map per host, RFC 6265 path, expiry and
 * Domain rules), redirects followed by hand so every hop is seen, and HTML forms submitted.
 * Secure cookies are kept over http: everything here is loopback, which browsers treat as secure.
 */
type Cookie = { name: string; value: string; path: string; expires: number | null; secure: boolean; httpOnly: boolean; sameSite: string | null };

export class CookieJar {
  readonly #byHost = new Map<string, Map<string, Cookie>>();

  /** Stores a Set-Cookie header received from `url`; returns false when a browser would refuse it. */
  store(url: URL, header: string): boolean {
    const [pair, ...attributes] = header.split(";");
    const eq = pair!.indexOf("=");
    if (eq <= 0) return false;
    const cookie: Cookie = { name: pair!.slice(0, eq).trim(), value: pair!.slice(eq + 1).trim(), path: defaultPath(url.pathname), expires: null, secure: false, httpOnly: false, sameSite: null };
    for (const attribute of attributes) {
      const at = attribute.indexOf("=");
      const key = (at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
      const value = at === -1 ? "" : attribute.slice(at + 1).trim();
      if (key === "path" && value.startsWith("/")) cookie.path = value;
      else if (key === "max-age") cookie.expires = Date.now() + Number(value) * 1000;
      else if (key === "expires" && cookie.expires === null) cookie.expires = Date.parse(value);
      else if (key === "secure") cookie.secure = true;
      else if (key === "httponly") cookie.httpOnly = true;
      else if (key === "samesite") cookie.sameSite = value;
      // A Domain that does not cover the host the cookie came from is refused, as a browser does.
      else if (key === "domain" && !domainMatches(url.hostname, value.replace(/^\./, "").toLowerCase())) return false;
    }
    if (cookie.name.startsWith("__Host-") && (!cookie.secure || cookie.path !== "/" || /;\s*domain=/i.test(header))) return false;
    const cookies = this.#cookiesOf(url.host);
    const key = `${cookie.name};${cookie.path}`;
    if (cookie.expires !== null && cookie.expires <= Date.now()) cookies.delete(key);
    else cookies.set(key, cookie);
    return true;
  }

  /** The Cookie header a browser sends to `url`, or null. Longer paths first (RFC 6265 §5.4). */
  header(url: URL): string | null {
    const now = Date.now();
    const matching = [...this.#cookiesOf(url.host).values()]
      .filter((c) => (c.expires === null || c.expires > now) && pathMatches(url.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join("; ") : null;
  }

  /** A cookie's value as stored for `host`, for assertions. */
  get(host: string, name: string): string | undefined {
    for (const cookie of this.#cookiesOf(host).values()) if (cookie.name === name) return cookie.value;
    return undefined;
  }

  attributes(host: string, name: string): Omit<Cookie, "value"> | undefined {
    for (const { value: _value, ...rest } of this.#cookiesOf(host).values()) if (rest.name === name) return rest;
    return undefined;
  }

  /** Every cookie value held, for checking none of them reached a log. */
  values(): string[] {
    return [...this.#byHost.values()].flatMap((cookies) => [...cookies.values()].map((c) => c.value));
  }

  #cookiesOf(host: string): Map<string, Cookie> {
    let cookies = this.#byHost.get(host);
    if (!cookies) this.#byHost.set(host, (cookies = new Map()));
    return cookies;
  }
}

function defaultPath(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  return requestPath.startsWith(cookiePath) && (cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/");
}

function domainMatches(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/** Where a request for a URL is actually sent: lets a test put several router instances behind one public origin. */
export type Dialer = (url: URL) => { connectTo: string; host: string } | null;

export type Hop = { method: string; url: string; status: number };

export class Browser {
  readonly jar = new CookieJar();
  readonly hops: Hop[] = [];
  readonly #dial: Dialer;

  constructor(dial: Dialer = () => null) {
    this.#dial = dial;
  }

  /** One request, cookies attached and stored, redirects not followed. */
  async request(url: string | URL, init: { method?: string; body?: string | URLSearchParams; headers?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.jar.header(target);
    if (cookie) headers.set("cookie", cookie);
    if (init.body instanceof URLSearchParams) headers.set("content-type", "application/x-www-form-urlencoded");
    const route = this.#dial(target);
    if (route) headers.set("host", route.host);
    const sent = route ? route.connectTo + target.pathname + target.search : target.href;
    const method = init.method ?? "GET";
    const response = await fetch(sent, { method, headers, redirect: "manual", ...(init.body !== undefined ? { body: init.body.toString() } : {}) });
    for (const header of response.headers.getSetCookie()) this.jar.store(target, header);
    this.hops.push({ method, url: target.href, status: response.status });
    return response;
  }

  /**
   * Follows redirects by hand from `url` until `stop(url)` says the next location is not the
   * browser's to fetch (the relying party's redirect URI), or a non-redirect answer arrives.
   */
  async navigate(url: string | URL, init: Parameters<Browser["request"]>[1] = {}, stop: (next: URL) => boolean = () => false): Promise<{ response: Response; url: URL; stoppedAt: URL | null }> {
    let current = new URL(url);
    let response = await this.request(current, init);
    for (let hop = 0; hop < 20; hop++) {
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || !location) return { response, url: current, stoppedAt: null };
      const next = new URL(location, current);
      await response.body?.cancel();
      if (stop(next)) return { response, url: current, stoppedAt: next };
      current = next;
      response = await this.request(current, { method: "GET" });
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Submits the page's form (the first, or the one whose action matches), as a user pressing its button. */
  async submit(page: { html: string; url: URL }, fields: Record<string, string> = {}, stop?: (next: URL) => boolean) {
    const form = parseForm(page.html, page.url);
    const body = new URLSearchParams(form.fields);
    for (const [name, value] of Object.entries(fields)) body.set(name, value);
    return this.navigate(form.action, { method: form.method, body }, stop);
  }
}

export type HtmlForm = { action: URL; method: string; fields: [string, string][] };

/** The first form of a page: its action, method and its inputs' names and values. */
export function parseForm(html: string, base: URL): HtmlForm {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form on the page at ${base}:\n${html.slice(0, 500)}`);
  const attributes = form[1]!;
  const action = attribute(attributes, "action") ?? base.href;
  const fields: [string, string][] = [];
  for (const input of form[2]!.matchAll(/<input\b([^>]*)>/gi)) {
    const name = attribute(input[1]!, "name");
    if (name) fields.push([name, attribute(input[1]!, "value") ?? ""]);
  }
  return { action: new URL(action, base), method: (attribute(attributes, "method") ?? "GET").toUpperCase(), fields };
}

function attribute(tag: string, name: string): string | null {
  const match = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, "i").exec(tag);
  return match ? decodeEntities(match[1] ?? match[2] ?? "") : null;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}
