/**
 * The provider timeout ends at the response headers; after that a provider can still stop
 * sending mid-body and hold the client (and a connection) forever. This passes the body on
 * chunk by chunk and gives up when the provider has sent nothing for `idleMs` while the client
 * was waiting for more: it aborts the upstream request and ends the client's body in an error
 * (the connection is cut; a truncated answer is never passed off as complete).
 * A client that stops reading is backpressure, not a stall: the clock only runs during a read.
 */
export function guardBodyIdle(
  body: ReadableStream<Uint8Array> | null,
  options: { idleMs: number; abort: () => void; onStall: () => void },
): ReadableStream<Uint8Array> | null {
  if (body === null) return null;
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
