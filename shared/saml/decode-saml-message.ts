import { InvalidSamlMessage } from "../errors.ts";
import { decodeBase64 } from "./decode-base64.ts";
import { inflateRawWithLimit, tooLarge } from "./inflate-raw-with-limit.ts";

/**
 * How the message travelled: `post` = base64 of the XML (HTTP-POST binding), `redirect` = raw
 * DEFLATE then base64 (HTTP-Redirect binding), `auto` = also accept raw XML and tell them apart.
 */
export type SamlBinding = "post" | "redirect" | "auto";

export interface DecodeSamlMessageOptions {
  binding?: SamlBinding;
  /** Largest decoded XML accepted, in UTF-8 bytes. Default 256 KiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_SAML_BYTES = 256 * 1024;

/**
 * base64 grows 4/3, line wrapping adds a few percent, URL-encoding can triple the rest: a
 * transported value longer than this cannot decode under the limit, so it is refused unread.
 */
const TRANSPORT_OVERHEAD = 4;

const BOM = "\uFEFF";
// Non-fatal on purpose: a Latin-1 name in an attribute must not stop us reading an ASCII Issuer.
const utf8 = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/** Turns a transported SAML message (form value, query parameter or raw XML) into XML text. */
export async function decodeSamlMessage(value: string, options: DecodeSamlMessageOptions = {}): Promise<string> {
  const binding = options.binding ?? "auto";
  const maxBytes = checkMaxBytes(options.maxBytes);
  if (typeof value !== "string") throw new InvalidSamlMessage("message is not text");
  const trimmed = value.trim();
  if (trimmed.length === 0) throw new InvalidSamlMessage("empty message");

  if (binding === "auto" && looksLikeXmlText(trimmed)) return checkedXmlText(trimmed, maxBytes);
  if (trimmed.length > maxBytes * TRANSPORT_OVERHEAD + 1024) throw tooLarge(maxBytes);

  const transported = urlDecodeIfEncoded(trimmed);
  // Some senders form-encode the raw XML itself.
  if (binding === "auto" && looksLikeXmlText(transported)) return checkedXmlText(transported.trim(), maxBytes);
  const bytes = decodeBase64(transported);
  const deflated = binding === "redirect" || (binding === "auto" && !looksLikeXmlBytes(bytes));
  if (!deflated) return bytesToXmlText(bytes, maxBytes);
  // Deflated XML is smaller than the XML itself: compressed input above the limit cannot fit.
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  return bytesToXmlText(await inflateRawWithLimit(bytes, maxBytes), maxBytes);
}

function checkMaxBytes(maxBytes: number | undefined): number {
  if (maxBytes === undefined) return DEFAULT_MAX_SAML_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new RangeError(`maxBytes must be a positive integer, got ${String(maxBytes)}`);
  }
  return maxBytes;
}

/**
 * Form values arrive percent-encoded. A literal "+" is kept as "+" (not turned into a space):
 * base64 never contains spaces, and senders that forget to escape "+" are common.
 */
function urlDecodeIfEncoded(value: string): string {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new InvalidSamlMessage("invalid URL encoding");
  }
}

function looksLikeXmlText(value: string): boolean {
  return value.startsWith("<") || value.startsWith(BOM);
}

/** "<" after an optional UTF-8 BOM and ASCII whitespace. */
function looksLikeXmlBytes(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i] === 0x3c;
}

function bytesToXmlText(bytes: Uint8Array, maxBytes: number): string {
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  return utf8.decode(bytes); // also drops a leading BOM
}

function checkedXmlText(text: string, maxBytes: number): string {
  // UTF-8 never takes fewer bytes than UTF-16 code units, so only long text needs counting.
  if (text.length > maxBytes) throw tooLarge(maxBytes);
  if (text.length * 3 > maxBytes && encoder.encode(text).length > maxBytes) throw tooLarge(maxBytes);
  return text.startsWith(BOM) ? text.slice(1) : text;
}
