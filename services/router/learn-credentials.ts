import type { CredentialKind } from "../bus/credential-record.ts";
import type { RequestKind } from "../../shared/routing/classify-request.ts";
import { readAtMost } from "../../shared/read-at-most.ts";

/** Token answers are small JSON; a larger body is passed on without being read for credentials. */
const MAX_TOKEN_BODY = 64 * 1024;
/** A form_post page is small too; login pages larger than this are streamed as they are. */
const MAX_FORM_POST_PAGE = 64 * 1024;

/** Where a learned credential goes: the caller records it (its failures are counted there, never thrown here). */
export type Learn = (kind: CredentialKind, value: string) => Promise<void>;

/**
 * Reads a provider's answer for the credentials it issues, and returns an answer with the same
 * status, headers and bytes:
 * - a redirect carrying `code` to the application: recorded before the browser gets the redirect,
 *   so the exchange that follows finds it on any router;
 * - a form_post page (an auto-submitted form with a `code` field): an HTML answer to a browser
 *   request is read whole (up to 64 KiB; larger pages stream as they are), recorded, then sent, so
 *   the form the browser posts at once finds its code recorded;
 * - a token endpoint's JSON: passed through as it arrives (a tee), the copy read bounded at its
 *   end, so the client's first byte is not held; refresh tokens and opaque access tokens are recorded.
 * `loginCompleted`: the answer hands the application a code (the router sets the session marker).
 */
export async function learnFromAnswer(kind: RequestKind, response: Response, learn: Learn): Promise<{ response: Response; loginCompleted: boolean }> {
  if (kind === "token") return { response: response.ok ? tokenAnswer(response, learn) : response, loginCompleted: false };
  if (response.status >= 300 && response.status < 400) {
    const code = codeInLocation(response.headers.get("location"));
    if (code === null) return { response, loginCompleted: false };
    await learn("code", code);
    return { response, loginCompleted: true };
  }
  if (response.status === 200 && MAY_BE_FORM_POST.has(kind) && (response.headers.get("content-type") ?? "").startsWith("text/html")) return formPostAnswer(response, learn);
  return { response, loginCompleted: false };
}

/** Answers that end a browser flow; token, userinfo and metadata answers never carry a form_post. */
const MAY_BE_FORM_POST = new Set<RequestKind>(["authorize", "oidc_callback", "saml_post", "saml_redirect", "other"]);

function codeInLocation(location: string | null): string | null {
  if (!location || !location.includes("code=")) return null;
  try {
    const url = new URL(location, "https://placeholder.invalid");
    const fromQuery = url.searchParams.get("code");
    if (fromQuery) return fromQuery;
    return url.hash ? new URLSearchParams(url.hash.slice(1)).get("code") : null;
  } catch {
    return null;
  }
}

async function formPostAnswer(response: Response, learn: Learn): Promise<{ response: Response; loginCompleted: boolean }> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (!response.body || declared > MAX_FORM_POST_PAGE) return { response, loginCompleted: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size > MAX_FORM_POST_PAGE) {
      // Too big to be a form_post: send what was read, then the rest as it comes.
      return { response: new Response(prefixed(chunks, reader), response), loginCompleted: false };
    }
  }
  const bytes = concat(chunks, size);
  const code = codeInFormPost(new TextDecoder().decode(bytes));
  if (code !== null) await learn("code", code);
  return { response: new Response(bytes, response), loginCompleted: code !== null };
}

/** `<input type="hidden" name="code" value="...">` inside a page that posts a form (OAuth 2.0 Form Post Response Mode). */
function codeInFormPost(html: string): string | null {
  if (!/<form[^>]*method=["']?post/i.test(html)) return null;
  for (const input of html.matchAll(/<input\b[^>]*>/gi)) {
    const tag = input[0];
    if (!/\bname=["']?code["'\s>/]/i.test(tag)) continue;
    const value = /\bvalue=(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(tag);
    const raw = value?.[1] ?? value?.[2] ?? value?.[3];
    if (raw) return decodeEntities(raw);
  }
  return null;
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_all, entity: string) => {
    const e = entity.toLowerCase();
    if (e.startsWith("#x")) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[e]!;
  });
}

/**
 * The token JSON goes to the client as it arrives (one branch of a tee); the other branch is read
 * here, bounded, and the credentials in it recorded. A tee rather than a pass-through transform:
 * the same time to first byte, half the CPU in Bun (bench/credentials).
 */
function tokenAnswer(response: Response, learn: Learn): Response {
  if (!response.body || !(response.headers.get("content-type") ?? "").includes("json")) return response;
  const [client, copy] = response.body.tee();
  void readAtMost(copy.getReader(), MAX_TOKEN_BODY).catch(() => null).then((bytes) => (bytes ? learnTokens(new TextDecoder().decode(bytes), learn) : undefined));
  return new Response(client, response);
}

async function learnTokens(json: string, learn: Learn): Promise<void> {
  let body: { refresh_token?: unknown; access_token?: unknown };
  try {
    body = JSON.parse(json) as typeof body;
  } catch {
    return;
  }
  const learning: Promise<void>[] = [];
  if (typeof body.refresh_token === "string" && body.refresh_token) learning.push(learn("refresh_token", body.refresh_token));
  // A JWT access token names its signing key: it is routed by `kid`, nothing to record.
  if (typeof body.access_token === "string" && body.access_token && !looksLikeJwt(body.access_token)) learning.push(learn("access_token", body.access_token));
  await Promise.all(learning); // side by side: the access token is often used at once, the refresh token later
}

export function looksLikeJwt(value: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value) && value.startsWith("eyJ");
}

function concat(chunks: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function prefixed(chunks: Uint8Array[], rest: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i < chunks.length) return controller.enqueue(chunks[i++]!);
      const { done, value } = await rest.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => rest.cancel(reason),
  });
}
