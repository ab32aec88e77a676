import { normalizeIdentifier } from "../../shared/identifiers.ts";
import { organizationIdFrom, type DesiredOrganization } from "./desired.ts";
import { entityIdFromMetadata, entityIdFromMetadataUrl } from "./saml-metadata.ts";

/**
 * Amazon Cognito's `aws cognito-idp describe-identity-provider` output, the DescribeIdentityProvider
 * response (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_DescribeIdentityProvider.html,
 * fields in .../API_IdentityProviderType.html): `{"IdentityProvider": {ProviderName, ProviderType,
 * ProviderDetails, IdpIdentifiers, ...}}`; a file may hold one such output or an array of them.
 * One organization per SAML or OIDC provider:
 * - `connection`: ProviderName (the `identity_provider` parameter of Cognito's /oauth2/authorize);
 * - `domain`: each of IdpIdentifiers that is a domain (Cognito matches users' email domains
 *   against them); other identifiers are noted and left out;
 * - `saml_issuer`: the `entityID` of the metadata in ProviderDetails.MetadataFile, else fetched
 *   from ProviderDetails.MetadataURL;
 * - `oidc_issuer`: ProviderDetails.oidc_issuer.
 * Social providers (Google, Facebook, LoginWithAmazon, SignInWithApple) are skipped.
 */
type IdentityProvider = {
  ProviderName?: unknown;
  ProviderType?: unknown;
  ProviderDetails?: Record<string, unknown> | null;
  IdpIdentifiers?: unknown;
};

export const looksLikeCognito = (json: unknown): boolean => {
  const outputs = Array.isArray(json) ? json : [json];
  return outputs.length > 0 && outputs.every((o) => o !== null && typeof o === "object" && typeof (o as { IdentityProvider?: unknown }).IdentityProvider === "object");
};

export async function readCognitoProviders(json: unknown, file: string, fetcher: (url: string, init?: RequestInit) => Promise<Response>): Promise<{ organizations: DesiredOrganization[]; skipped: string[] }> {
  const outputs = (Array.isArray(json) ? json : [json]) as { IdentityProvider: IdentityProvider }[];
  const organizations: DesiredOrganization[] = [];
  const skipped: string[] = [];
  for (const { IdentityProvider: provider } of outputs) {
    const name = String(provider.ProviderName ?? "");
    const type = String(provider.ProviderType ?? "");
    if (type !== "SAML" && type !== "OIDC") {
      skipped.push(`${file} provider ${name}: a ${type} provider is not a customer's enterprise IdP`);
      continue;
    }
    const details = provider.ProviderDetails ?? {};
    const notes: string[] = [];
    const identifiers: { kind: string; value: string }[] = [];
    if (/^[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}$/.test(name)) identifiers.push({ kind: "connection", value: name });
    else notes.push(`ProviderName ${JSON.stringify(name)} cannot be a connection identifier (letters, digits, ._:~- only)`);
    for (const identifier of Array.isArray(provider.IdpIdentifiers) ? provider.IdpIdentifiers : []) {
      if (typeof identifier === "string" && isDomain(identifier)) identifiers.push({ kind: "domain", value: identifier });
      else notes.push(`IdpIdentifier ${JSON.stringify(identifier)} is not a domain: left out`);
    }
    if (type === "SAML") {
      const fromFile = typeof details.MetadataFile === "string" ? entityIdFromMetadata(details.MetadataFile) : null;
      if (fromFile) identifiers.push({ kind: "saml_issuer", value: fromFile });
      else if (typeof details.MetadataURL === "string") {
        const fetched = await entityIdFromMetadataUrl(details.MetadataURL, fetcher);
        if ("entityId" in fetched) identifiers.push({ kind: "saml_issuer", value: fetched.entityId });
        else notes.push(`no saml_issuer: ${fetched.problem}`);
      } else notes.push("no saml_issuer: ProviderDetails has no MetadataFile or MetadataURL");
    }
    if (type === "OIDC") {
      if (typeof details.oidc_issuer === "string") identifiers.push({ kind: "oidc_issuer", value: details.oidc_issuer });
      else notes.push("no oidc_issuer in ProviderDetails");
    }
    organizations.push({ id: organizationIdFrom(name), name, identifiers, source: `${file} provider ${name}`, notes });
  }
  return { organizations, skipped };
}

function isDomain(value: string): boolean {
  try {
    normalizeIdentifier("domain", value);
    return true;
  } catch {
    return false;
  }
}
