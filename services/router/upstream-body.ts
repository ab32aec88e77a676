import { CodedError } from "../../shared/errors.ts";

/** Bodies up to this size (redirects, JSON, HTML forms) are read whole, not passed through a JS stream. */
const READ_WHOLE_BYTES = 64 * 1024;

export type BodyGuard = {
  idleMs: number;
  provider: string;
  /** Aborts the provider's request. */
  abort: () => void;
  onStall: () => void;
  /** Whether the client has gone away (then a failed read is the client's doing). */
  clientGone: () => boolean;
};

/**
 * A provider's body, bounded in time. A small declared body is read whole under one timer (a
 * stall there is still a clean 504, nothing has been sent yet, and it is much cheaper than a
 * JS stream in the path); any other body streams through `guardBodyIdle`.
 */
export async function boundedBody(upstream: Response, guard: BodyGuard): Promise<ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer> | null> {
  if (upstream.body === null) return null;
  const length = upstream.headers.get("content-length");
  if (length === null || !(Number(length) <= READ_WHOLE_BYTES)) return guardBodyIdle(upstream.body, guard);
  let stalled = false;
  const timer = setTimeout(() => {
    stalled = true;
    guard.abort();
    guard.onStall();
  }, guard.idleMs);
  try {
    return new Uint8Array(await upstream.arrayBuffer());
  } catch {
    if (guard.clientGone()) throw new CodedError("client_closed", "the client closed the connection before the provider's answer was read", { provider: guard.provider });
    if (stalled) throw new CodedError("upstream_timeout", `provider ${guard.provider} sent nothing of its body for ${guard.idleMs} ms`, { provider: guard.provider });
    throw new CodedError("upstream_unreachable", `provider ${guard.provider} closed the connection mid-answer`, { provider: guard.provider });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The provider timeout ends at the response headers; after that a provider can still stop
 * sending mid-body and hold the client (and a connection) forever. This passes the body on
 * chunk by chunk and gives up when the provider has sent nothing for `idleMs` while the client
 * was waiting for more: it aborts the upstream request and ends the client's body in an error
 * (the connection is cut; a truncated answer is never passed off as complete).
 * A client that stops reading is backpressure, not a stall: the clock only runs during a read.
 */
function guardBodyIdle(body: ReadableStream<Uint8Array>, options: BodyGuard): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let stalled = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const timer = setTimeout(() => {
          stalled = true;
          options.abort();
          options.onStall();
          controller.error(new Error(`the provider sent nothing for ${options.idleMs} ms`));
          reader.cancel().catch(() => undefined);
        }, options.idleMs);
        try {
          const { done, value } = await reader.read();
          if (stalled) return;
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          if (!stalled) controller.error(error);
        } finally {
          clearTimeout(timer);
        }
      },
      // The client went away mid-body: the provider's request is aborted, not read to its end.
      cancel(reason) {
        options.abort();
        return reader.cancel(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
