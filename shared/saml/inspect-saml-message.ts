import { decodeSamlMessage, type DecodeSamlMessageOptions } from "./decode-saml-message.ts";
import type { SamlMessageSummary } from "./read-saml-message.ts";
import { scanSamlMessage } from "./scan-saml-message.ts";

/**
 * From a transported value (form field, query parameter, raw XML) to the routing summary, read
 * by the streaming reader (`scanSamlMessage`; xmldom's `readSamlMessage` is its reference).
 * Rejects with InvalidSamlMessage; never with anything else for bad input.
 */
export async function inspectSamlMessage(
  value: string,
  options: DecodeSamlMessageOptions = {},
): Promise<SamlMessageSummary> {
  return scanSamlMessage(await decodeSamlMessage(value, options));
}
