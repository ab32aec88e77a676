import { connect, type Socket } from "node:net";

/**
 * HTTP/1.1 over a plain TCP socket, for what `fetch` will not send: absolute-form targets,
 * arbitrary Host headers, bare CR/LF, chunked bodies the server may refuse half-way.
 */
export type RawResponse = {
  status: number;
  /** Header lines in wire order, names lower-cased; repeated headers stay separate. */
  headers: [string, string][];
  body: Uint8Array;
  text: string;
  header(name: string): string | null;
};

export type RawRequestOptions = {
  /** Bytes after the head, written in order (an async source may pace them); writing stops once the server has answered. */
  body?: Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  timeoutMs?: number;
};

/**
 * Writes `head` (request line and headers, ending in a blank line), then the body parts, and
 * reads one final response (interim 1xx answers such as 100 Continue are skipped). Rejects if
 * no complete response arrives within `timeoutMs`.
 */
export async function rawRequest(port: number, head: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const { responses } = await rawExchange(port, head, 1, options);
  const [response] = responses;
  if (!response) throw new Error("connection closed before a complete response");
  return response;
}

/**
 * Writes `head` and the body parts on one connection and reads up to `count` final responses
 * (for pipelined requests). Resolves with the responses read once `count` arrived or the
 * server closed the connection; rejects if neither happens within `timeoutMs`.
 */
export function rawExchange(port: number, head: string, count: number, options: RawRequestOptions = {}): Promise<{ responses: RawResponse[]; closed: boolean }> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    let received = new Uint8Array(0);
    let settled = false;
    const responses: RawResponse[] = [];
    const timer = setTimeout(() => finish(new Error(`no complete response within ${timeoutMs} ms; received ${JSON.stringify(latin1(received).slice(0, 300))}`)), timeoutMs);

    function finish(outcome: { responses: RawResponse[]; closed: boolean } | Error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    }

    function tryParse(ended: boolean) {
      for (;;) {
        const parsed = parseResponse(received, ended);
        if (!parsed) break;
        received = received.subarray(parsed.length);
        if (parsed.response.status >= 200) responses.push(parsed.response);
        if (responses.length === count) return finish({ responses, closed: false });
      }
      if (ended) {
        if (responses.length === 0) finish(new Error(`connection closed before a complete response; received ${JSON.stringify(latin1(received).slice(0, 300))}`));
        else finish({ responses, closed: true });
      }
    }

    socket.on("data", (chunk: Buffer) => {
      const next = new Uint8Array(received.length + chunk.length);
      next.set(received);
      next.set(chunk, received.length);
      received = next;
      tryParse(false);
    });
    socket.on("end", () => tryParse(true));
    socket.on("close", () => tryParse(true));
    // A server that answers early (413) may reset the connection while we are still writing.
    socket.on("error", () => tryParse(true));
    socket.on("connect", async () => {
      try {
        await write(socket, new TextEncoder().encode(head));
        for await (const part of options.body ?? []) {
          if (settled || socket.destroyed) return;
          await write(socket, part);
        }
      } catch {
        // The server stopped reading; its answer (if any) is parsed from what arrived.
      }
    });
  });
}

function write(socket: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

/** A chunked-transfer body of `total` bytes, `chunkSize` at a time, generated lazily. */
/** Bytes and strings (as UTF-8) joined into one array. */
export function concatBytes(...parts: (Uint8Array | string)[]): Uint8Array<ArrayBuffer> {
  const bytes = parts.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : p));
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of bytes) {
    out.set(b, offset);
    offset += b.length;
  }
  return out;
}

export function* chunkedBody(total: number, chunkSize = 64 * 1024, fill = 0x61): Generator<Uint8Array> {
  const encoder = new TextEncoder();
  const block = new Uint8Array(chunkSize).fill(fill);
  for (let sent = 0; sent < total; sent += chunkSize) {
    const size = Math.min(chunkSize, total - sent);
    yield encoder.encode(`${size.toString(16)}\r\n`);
    yield block.subarray(0, size);
    yield encoder.encode("\r\n");
  }
  yield encoder.encode("0\r\n\r\n");
}

const latin1 = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);

function indexOf(bytes: Uint8Array, pattern: string, from = 0): number {
  const codes = [...pattern].map((c) => c.charCodeAt(0));
  outer: for (let i = from; i <= bytes.length - codes.length; i++) {
    for (let j = 0; j < codes.length; j++) if (bytes[i + j] !== codes[j]) continue outer;
    return i;
  }
  return -1;
}

/** A complete response at the start of `bytes` and its length in bytes, or null if more is needed. */
function parseResponse(bytes: Uint8Array, ended: boolean): { response: RawResponse; length: number } | null {
  const headEnd = indexOf(bytes, "\r\n\r\n");
  if (headEnd === -1) return null;
  const [statusLine = "", ...lines] = latin1(bytes.subarray(0, headEnd)).split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers: [string, string][] = lines.map((line) => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
  const header = (name: string) => headers.find(([n]) => n === name)?.[1] ?? null;
  const rest = bytes.subarray(headEnd + 4);
  let body: { bytes: Uint8Array; length: number } | null;
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) body = { bytes: new Uint8Array(0), length: 0 };
  else if ((header("transfer-encoding") ?? "").toLowerCase().includes("chunked")) body = dechunk(rest);
  else if (header("content-length") !== null) {
    const length = Number(header("content-length"));
    body = rest.length >= length ? { bytes: rest.subarray(0, length), length } : null;
  } else body = ended ? { bytes: rest, length: rest.length } : null;
  if (body === null) return null;
  const complete = body.bytes;
  return { response: { status, headers, body: complete, text: new TextDecoder().decode(complete), header }, length: headEnd + 4 + body.length };
}

function dechunk(bytes: Uint8Array): { bytes: Uint8Array; length: number } | null {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = indexOf(bytes, "\r\n", at);
    if (lineEnd === -1) return null;
    const size = parseInt(latin1(bytes.subarray(at, lineEnd)).split(";")[0]!, 16);
    if (Number.isNaN(size)) return null;
    if (size === 0) {
      // The last chunk, no trailers: "0\r\n\r\n".
      if (bytes.length < lineEnd + 4) return null;
      return { bytes: concatBytes(...parts), length: lineEnd + 4 };
    }
    if (bytes.length < lineEnd + 2 + size + 2) return null;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
