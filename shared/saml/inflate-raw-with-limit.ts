import { InvalidSamlMessage } from "../errors.ts";
import { readAtMost } from "../read-at-most.ts";

/**
 * The compressed input is written to the inflater a slice at a time, and the next slice only once
 * its output has been read, so a DEFLATE bomb (~1000:1) overshoots the limit by about a slice's
 * worth of output (~1 MB) before we cancel, instead of being inflated whole. A typical
 * Redirect-binding AuthnRequest or LogoutRequest deflates to under 1 KiB: one write.
 */
const INPUT_SLICE_BYTES = 1024;

/** Inflates raw DEFLATE (RFC 1951, the HTTP-Redirect binding) and refuses output over `maxBytes`. */
export async function inflateRawWithLimit(compressed: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const inflater = new DecompressionStream("deflate-raw");
  const reader = inflater.readable.getReader();
  void feedInSlices(inflater.writable.getWriter(), compressed);
  const inflated = await readAtMost(reader, maxBytes).catch(() => {
    throw new InvalidSamlMessage("invalid DEFLATE data");
  });
  if (inflated === null) throw tooLarge(maxBytes);
  if (inflated.byteLength === 0) throw new InvalidSamlMessage("empty message");
  return inflated;
}

export function tooLarge(maxBytes: number): InvalidSamlMessage {
  return new InvalidSamlMessage(`message is larger than ${maxBytes} bytes`, { maxBytes });
}

/** Each write settles only once the inflater has room again, i.e. once we have read its output. */
async function feedInSlices(writer: WritableStreamDefaultWriter<BufferSource>, bytes: Uint8Array): Promise<void> {
  try {
    for (let offset = 0; offset < bytes.length; offset += INPUT_SLICE_BYTES) {
      await writer.write(bytes.slice(offset, offset + INPUT_SLICE_BYTES));
    }
    await writer.close();
  } catch {
    // Corrupt data or a cancelled read: the reader side reports it.
  }
}
