/** A file or stream that is not UTF-8: refused whole, never imported with U+FFFD in place of its bytes. */
export class NotUtf8 extends Error {}

const STRICT = new TextDecoder("utf-8", { fatal: true });

export function strictUtf8(bytes: Uint8Array): string {
  try {
    return STRICT.decode(bytes);
  } catch {
    throw new NotUtf8("not UTF-8 text");
  }
}
