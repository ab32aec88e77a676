import { organizationIdFrom, type DesiredOrganization } from "./desired.ts";
import { entityIdFromMetadata, entityIdFromMetadataUrl } from "./saml-metadata.ts";

/**
 * Auth0's connections list, as `GET /api/v2/connections` of the Management API returns it
 * (https://auth0.com/docs/api/management/v2/connections/get-connections): an array of
 * `{id, name, display_name, strategy, options, ...}`. One organization per enterprise connection:
 * - `connection`: the connection's `name` (Auth0's ACS is `/login/callback?connection=NAME`);
 * - `domain`: `options.domain_aliases` (home realm discovery), and `options.tenant_domain` /
 *   `options.domain` for Azure AD and Google Workspace;
 * - `saml_issuer` (samlp, pingfederate, adfs): the customer IdP's entity ID, from
 *   `options.metadataXml`, else fetched from `options.metadataUrl`. Not `options.entityId`: that
 *   is Auth0's own (the service provider's) entity ID, `urn:auth0:{tenant}:{connection}` by default;
 * - `oidc_issuer` (oidc, okta): `options.issuer`, else `options.oidc_metadata.issuer`.
 * Database, social and passwordless connections belong to no customer organization: skipped.
 */
export const AUTH0_ENTERPRISE = ["samlp", "pingfederate", "adfs", "oidc", "okta", "waad", "google-apps", "ad", "auth0-adldap", "office365"] as const;
const SAML = new Set(["samlp", "pingfederate", "adfs"]);
const OIDC = new Set(["oidc", "okta"]);

type Auth0Connection = {
  name?: unknown;
  display_name?: unknown;
  strategy?: unknown;
  options?: Record<string, unknown> | null;
};

export const looksLikeAuth0 = (json: unknown): boolean =>
  Array.isArray(json) && json.length > 0 && json.every((c) => c !== null && typeof c === "object" && typeof (c as Auth0Connection).strategy === "string" && typeof (c as Auth0Connection).name === "string");

export async function readAuth0Connections(json: unknown[], file: string, fetcher: (url: string, init?: RequestInit) => Promise<Response>): Promise<{ organizations: DesiredOrganization[]; skipped: string[] }> {
  const organizations: DesiredOrganization[] = [];
  const skipped: string[] = [];
  for (const raw of json as Auth0Connection[]) {
    const name = String(raw.name);
    const strategy = String(raw.strategy);
    if (!(AUTH0_ENTERPRISE as readonly string[]).includes(strategy)) {
      skipped.push(`${file} connection ${name}: a ${strategy} connection is not an enterprise connection`);
      continue;
    }
    const options = raw.options ?? {};
    const notes: string[] = [];
    const identifiers = [{ kind: "connection", value: name }];
    for (const domain of strings(options.domain_aliases)) identifiers.push({ kind: "domain", value: domain });
    for (const key of ["tenant_domain", "domain"]) {
      if (strategy !== "samlp" && typeof options[key] === "string" && options[key]) identifiers.push({ kind: "domain", value: options[key] as string });
    }
    if (SAML.has(strategy)) {
      const fromXml = typeof options.metadataXml === "string" ? entityIdFromMetadata(options.metadataXml) : null;
      if (fromXml) identifiers.push({ kind: "saml_issuer", value: fromXml });
      else if (typeof options.metadataUrl === "string") {
        const fetched = await entityIdFromMetadataUrl(options.metadataUrl, fetcher);
        if ("entityId" in fetched) identifiers.push({ kind: "saml_issuer", value: fetched.entityId });
        else notes.push(`no saml_issuer: ${fetched.problem}`);
      } else notes.push("no saml_issuer: the connection has no metadataXml or metadataUrl (its IdP's SAML responses are routed by other signals)");
    }
    if (OIDC.has(strategy)) {
      const metadata = options.oidc_metadata as { issuer?: unknown } | undefined;
      const issuer = typeof options.issuer === "string" ? options.issuer : typeof metadata?.issuer === "string" ? metadata.issuer : null;
      if (issuer) identifiers.push({ kind: "oidc_issuer", value: issuer });
      else notes.push("no oidc_issuer: the connection names no issuer");
    }
    const display = typeof raw.display_name === "string" && raw.display_name.trim() ? raw.display_name : name;
    organizations.push({ id: organizationIdFrom(name), name: display, identifiers: dedupe(identifiers), source: `${file} connection ${name}`, notes });
  }
  return { organizations, skipped };
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v !== "") : []);

function dedupe(identifiers: { kind: string; value: string }[]) {
  const seen = new Set<string>();
  return identifiers.filter((i) => !seen.has(`${i.kind}\0${i.value}`) && seen.add(`${i.kind}\0${i.value}`));
}
