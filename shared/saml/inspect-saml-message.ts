import { decodeSamlMessage, type DecodeSamlMessageOptions } from "./decode-saml-message.ts";
import { readSamlMessage, type SamlMessageSummary } from "./read-saml-message.ts";

/**
 * From a transported value (form field, query parameter, raw XML) to the routing summary, read
 * with xmldom behind the structural limits (`readSamlMessage`). Rejects with
 * InvalidSamlMessage; never with anything else for bad input.
 */
export async function inspectSamlMessage(
  value: string,
  options: DecodeSamlMessageOptions = {},
): Promise<SamlMessageSummary> {
  return readSamlMessage(await decodeSamlMessage(value, options));
}
