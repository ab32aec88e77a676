import { parseXmlStrictly } from "../../shared/saml/parse-xml-strictly.ts";

const METADATA_NS = "urn:oasis:names:tc:SAML:2.0:metadata";

/**
 * The IdP's entity ID from its SAML metadata: `EntityDescriptor/@entityID` (SAML 2.0 Metadata
 * §2.3.2), or that of the first EntityDescriptor in an EntitiesDescriptor. Null when it has none.
 */
export function entityIdFromMetadata(xml: string): string | null {
  let root;
  try {
    root = parseXmlStrictly(xml);
  } catch {
    return null;
  }
  if (root.namespaceURI !== METADATA_NS) return null;
  if (root.localName === "EntityDescriptor") return root.getAttribute("entityID") || null;
  if (root.localName !== "EntitiesDescriptor") return null;
  const first = root.getElementsByTagNameNS(METADATA_NS, "EntityDescriptor")[0];
  return first?.getAttribute("entityID") || null;
}

/** Metadata published at a URL (Auth0's metadataUrl, Cognito's MetadataURL): fetched once, 10 s at most. */
export async function entityIdFromMetadataUrl(url: string, fetcher: (url: string, init?: RequestInit) => Promise<Response>): Promise<{ entityId: string } | { problem: string }> {
  try {
    const answer = await fetcher(url, { signal: AbortSignal.timeout(10_000), redirect: "follow" });
    if (!answer.ok) return { problem: `its metadata URL answered ${answer.status}` };
    const entityId = entityIdFromMetadata(await answer.text());
    return entityId ? { entityId } : { problem: "its metadata URL serves no EntityDescriptor entityID" };
  } catch (error) {
    return { problem: `its metadata URL could not be read (${(error as Error).message})` };
  }
}
