import type { Log } from "./http/log.ts";

const MASK = "***";
/** NATS puts a bare token where other URLs put a user name: nats://TOKEN@host. */
const TOKEN_IN_USER = /^(nats|tls|ws|wss):$/i;
const SECRET_PARAMS = /([?&](?:password|pass|token|sslpassword|sslkey)=)[^&#]*/gi;

/**
 * A connection URL (or a comma-separated list of them, as NATS takes) fit for a log: the password
 * in each userinfo, a NATS token and password-like query parameters replaced by ***. Works on text
 * that does not parse as a URL, so an error about a malformed URL can still be printed safely.
 */
export function redactUrl(text: string): string {
  return text
    .split(",")
    .map((part) => {
      const scheme = /^\s*([a-z][a-z0-9+.-]*:)\/\//i.exec(part);
      if (!scheme) return part.replace(SECRET_PARAMS, `$1${MASK}`);
      const start = scheme[0].length;
      const end = part.slice(start).search(/[/?#]/);
      const authority = end === -1 ? part.slice(start) : part.slice(start, start + end);
      const at = authority.lastIndexOf("@");
      let safe = authority;
      if (at !== -1) {
        const userinfo = authority.slice(0, at);
        const colon = userinfo.indexOf(":");
        const shown = colon !== -1 ? `${userinfo.slice(0, colon)}:${MASK}` : TOKEN_IN_USER.test(scheme[1]!) ? MASK : userinfo;
        safe = `${shown}${authority.slice(at)}`;
      }
      return (part.slice(0, start) + safe + part.slice(start + authority.length)).replace(SECRET_PARAMS, `$1${MASK}`);
    })
    .join(",");
}

/** The secret parts of the settings that name them: URL passwords and tokens, and the signing secrets. */
export function secretsIn(values: { databaseUrl?: string | undefined; natsUrl?: string | undefined; others?: (string | undefined)[] }): string[] {
  const secrets = new Set<string>();
  const add = (value: string | undefined) => {
    if (!value || value.length < 3) return;
    secrets.add(value);
    for (const form of [safeDecode(value), encodeURIComponent(value)]) if (form && form.length >= 3) secrets.add(form);
  };
  for (const url of [values.databaseUrl, values.natsUrl]) {
    if (!url) continue;
    for (const part of url.split(",")) {
      const authority = part.replace(/^\s*[a-z][a-z0-9+.-]*:\/\//i, "").split(/[/?#]/)[0] ?? "";
      const at = authority.lastIndexOf("@");
      if (at === -1) continue;
      const userinfo = authority.slice(0, at);
      const colon = userinfo.indexOf(":");
      add(colon === -1 ? (TOKEN_IN_USER.test(part.trim().slice(0, part.trim().indexOf("/"))) ? userinfo : undefined) : userinfo.slice(colon + 1));
    }
    for (const match of url.matchAll(SECRET_PARAMS)) add(url.slice(match.index + match[1]!.length).split(/[&#,]/)[0]);
  }
  for (const other of values.others ?? []) add(other);
  // Longest first, so a secret that contains another is masked whole.
  return [...secrets].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each secret in a text (a log line, an error message, a stack). */
export function scrubber(secrets: readonly string[]): (text: string) => string {
  if (secrets.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.replaceAll(secret, MASK);
    return out;
  };
}

/** jsonLog's lines, with any secret a message or an error might carry masked before it is written. */
export function redactingLog(secrets: readonly string[], write: (line: string) => void = (line) => console.log(line)): Log {
  const scrub = scrubber(secrets);
  return (entry) => write(scrub(JSON.stringify({ time: new Date().toISOString(), level: "info", ...entry })));
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
