import { InvalidSamlMessage } from "../errors.ts";

const LINE_BREAKS = /[\t\n\f\r]+/g;

/**
 * Strict base64 (RFC 4648 §4, standard alphabet, padded) to bytes.
 * Line breaks (and tabs) are dropped first because IdPs wrap base64 at 76 columns. A space can
 * only be a "+" that a sender forgot to percent-encode in a form post (form decoding turns "+"
 * into a space, and base64 has no spaces), so it is read as "+". Anything else that is not
 * canonical base64 is refused rather than guessed at.
 */
export function decodeBase64(value: string): Uint8Array {
  const compact = value.replace(LINE_BREAKS, "").replaceAll(" ", "+");
  if (compact.length === 0) throw new InvalidSamlMessage("empty message");
  // atob alone is "forgiving": it accepts missing padding, so the length check is ours.
  if (compact.length % 4 !== 0) throw new InvalidSamlMessage("invalid base64: wrong length or padding");
  let binary: string;
  try {
    binary = atob(compact);
  } catch {
    throw new InvalidSamlMessage("invalid base64: unexpected character or padding");
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
