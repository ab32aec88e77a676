import { CodedError } from "../../shared/errors.ts";
import type { RoutableRequest } from "../../shared/routing/classify-request.ts";
import { formFields } from "../../shared/routing/form-fields.ts";
import { readAtMost } from "../../shared/read-at-most.ts";
import { withinMs } from "../../shared/within-ms.ts";

export type ReceivedRequest = RoutableRequest & {
  /** Path and query exactly as received. */
  target: string;
  body: Uint8Array | null;
};

const FORM = "application/x-www-form-urlencoded";

export type ReadLimits = {
  maxBodyBytes: number;
  /** The whole body must arrive within this many milliseconds (a trickling client gets 408). */
  bodyTimeoutMs: number;
  /** The request target as received, when the runtime's `request.url` does not keep it (services/runtime/serve.ts). */
  receivedTarget?: string | null;
};

/**
 * Reads what routing needs: the raw target, the body (bounded in size and time, byte-exact)
 * and, for form posts, its fields. Refuses absolute-form targets whose authority is not the
 * Host header (the router never lets a request name where it goes).
 */
export async function readRequest(request: Request, limits: ReadLimits): Promise<ReceivedRequest> {
  const target = limits.receivedTarget ? receivedTarget(limits.receivedTarget, request.headers.get("host")) : rawTarget(request);
  const queryAt = target.indexOf("?");
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? "" : target.slice(queryAt + 1));
  const body = request.body ? await withinDeadline(readBounded(request, limits.maxBodyBytes).catch(bodyCutShort), limits.bodyTimeoutMs) : null;
  const type = request.headers.get("content-type") ?? "";
  const form = body && type.toLowerCase().startsWith(FORM) ? formFields(new TextDecoder().decode(body)) : null;
  return { method: request.method, path, query, form, basicClientId: basicClientId(request.headers.get("authorization")), target, body };
}

/** The target as the client sent it: origin-form is kept byte for byte; absolute-form only when it names this Host. */
function receivedTarget(target: string, host: string | null): string {
  if (target.startsWith("/")) return target;
  const match = /^https?:\/\/([^/?#]*)/i.exec(target);
  if (!match) throw new CodedError("invalid_request_target", "the request target must be a path (origin-form)");
  if (host === null || match[1]!.toLowerCase() !== host.toLowerCase()) {
    throw new CodedError("invalid_request_target", "the request target names a host other than this auth domain");
  }
  const rest = target.slice(match[0].length);
  return rest.startsWith("/") ? rest : `/${rest}`;
}

/**
 * A body stream that fails is one whose client went away mid-body (or broke its framing): the
 * client's doing, logged as 499, never the router's 500. Some runtimes fail the read before
 * they abort the request's signal.
 */
function bodyCutShort(error: unknown): never {
  if (error instanceof CodedError) throw error;
  throw new CodedError("client_closed", "the request body ended before its declared end (the client closed the connection)");
}

/** The body read must finish in time; the slow client is answered 408 and its connection closed. */
function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return withinMs(ms, work, () => new CodedError("request_timeout", `the request body did not arrive within ${ms} ms`));
}

/**
 * Under Node and Deno an absolute-form target keeps its authority in `request.url`, and one
 * that is not the Host is refused here. Bun rebuilds the URL from Host before the app runs, so
 * such a target arrives as origin-form; either way the upstream is always a configured origin.
 */
function rawTarget(request: Request): string {
  const url = request.url;
  const host = request.headers.get("host");
  // Bun passes origin-form ("/path?query") when the request had no usable Host: nothing to compare.
  if (url.startsWith("/")) {
    if (host !== null) throw new CodedError("invalid_request_target", "the Host header is not a valid authority");
    return url;
  }
  const authorityStart = url.indexOf("//") + 2;
  const pathStart = url.indexOf("/", authorityStart);
  if (host !== null && url.slice(authorityStart, pathStart === -1 ? undefined : pathStart).toLowerCase() !== host.toLowerCase()) {
    throw new CodedError("invalid_request_target", "the request target names a host other than this auth domain");
  }
  return pathStart === -1 ? "/" : url.slice(pathStart);
}

async function readBounded(request: Request, max: number): Promise<Uint8Array> {
  const length = request.headers.get("content-length");
  const declared = Number(length ?? "0");
  if (declared > max) throw new CodedError("body_too_large", `request bodies are limited to ${max} bytes`);
  // With a declared length the runtime reads the body natively (much cheaper than a JS stream
  // reader); the server enforces that the body is exactly that long.
  if (length !== null) return new Uint8Array(await request.arrayBuffer());
  const body = await readAtMost(request.body!.getReader(), max);
  if (body === null) throw new CodedError("body_too_large", `request bodies are limited to ${max} bytes`);
  return body;
}

/** RFC 6749 §2.3.1: the client id is the form-urlencoded user part of Basic credentials. */
function basicClientId(header: string | null): string | null {
  if (!header || !/^basic /i.test(header)) return null;
  try {
    const decoded = atob(header.slice(6).trim());
    const colon = decoded.indexOf(":");
    return decodeURIComponent((colon === -1 ? decoded : decoded.slice(0, colon)).replace(/\+/g, " ")) || null;
  } catch {
    return null;
  }
}
