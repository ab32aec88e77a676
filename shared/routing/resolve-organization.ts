import { InvalidSamlMessage } from "../errors.ts";
import { lookupSpelling } from "../identifier-spelling.ts";
import type { IdentifierKind } from "../identifiers.ts";
import { inspectSamlMessage, type SamlMessageSummary } from "../saml/index.ts";
import type { Classification, RoutableRequest } from "./classify-request.ts";

export type SignalName =
  | "force_route"
  | "organization_id"
  | "connection"
  | "login_hint"
  | "domain"
  | "client_id"
  | "saml_issuer"
  | "oidc_iss"
  | "pin"
  | "default";

/** The route table as resolution sees it: lookups only, by the identifier's lookup spelling. */
export type RouteLookup = {
  providerOf(organizationId: string): string | undefined;
  /** `value` is already in `lookupSpelling` form (see shared/identifier-spelling.ts). */
  organizationOf(kind: IdentifierKind, value: string): string | undefined;
};

/** A verified pin cookie: the provider a flow started on. */
export type Pin = { organizationId: string | null; provider: string; flow?: FlowClaims };

/** Which flow a pin belongs to, for its outcome (issue 12): an id, when it started, and whether its answer comes as a POST page. */
export type FlowClaims = { id: string; startedMs: number; postPage: boolean };

export type RouteDecision = {
  organizationId: string | null;
  provider: string;
  /** Which signal found the organization (or "pin" / "default"). */
  signal: SignalName;
  /** The provider came from the pin cookie, not the route table. */
  pinned: boolean;
  saml: SamlMessageSummary | null;
};

/** `readPin` is called only for requests a pin may decide (it verifies a signature). */
export type ResolveOptions = {
  lookup: RouteLookup;
  readPin: () => Promise<Pin | null>;
  defaultProvider: string;
  maxSamlBytes?: number;
};

type Candidate = { signal: SignalName; kind: IdentifierKind | "organization"; value: string };

/**
 * Takes the first signal, in DESIGN's order, that names a known organization; a signal naming
 * nothing known falls through to the next. A valid pin for that organization decides the
 * provider before the route table, so a flow finishes where it started.
 */
export async function resolveOrganization(req: RoutableRequest, classification: Classification, options: ResolveOptions): Promise<RouteDecision> {
  const { lookup } = options;
  const saml = classification.saml ? await readSaml(classification.saml, options.maxSamlBytes) : null;
  const pin = pinMayDecide(classification, saml) ? await options.readPin() : null;
  for (const candidate of candidates(req, classification, saml)) {
    const organizationId = candidate.kind === "organization" ? candidate.value : lookup.organizationOf(candidate.kind, lookupSpelling(candidate.kind, candidate.value));
    if (organizationId === undefined) continue;
    const routed = lookup.providerOf(organizationId);
    if (routed === undefined) continue;
    const pinned = pin !== null && pin.organizationId === organizationId;
    return { organizationId, provider: pinned ? pin.provider : routed, signal: candidate.signal, pinned, saml };
  }
  if (pin !== null) return { organizationId: pin.organizationId, provider: pin.provider, signal: "pin", pinned: true, saml };
  return { organizationId: null, provider: options.defaultProvider, signal: "default", pinned: false, saml };
}

/**
 * A pin belongs to a flow in flight. The start of a flow (an authorize request, an AuthnRequest)
 * begins a new one and is routed by the table, and an IdP-initiated Response (one that answers
 * no AuthnRequest) belongs to no flow: an earlier login's pin must not keep either on the old
 * provider after a migration or a rollback.
 */
function pinMayDecide(classification: Classification, saml: SamlMessageSummary | null): boolean {
  if (classification.kind === "authorize") return false;
  if (saml?.type === "AuthnRequest") return false;
  return !(saml?.type === "Response" && saml.inResponseTo === null);
}

async function readSaml(message: { value: string; binding: "post" | "redirect" }, maxBytes: number | undefined): Promise<SamlMessageSummary> {
  if (message.value.length === 0) throw new InvalidSamlMessage("empty SAML message");
  return inspectSamlMessage(message.value, { binding: message.binding, ...(maxBytes ? { maxBytes } : {}) });
}

/** Every signal a request carries, in DESIGN's order (also what unmatched traffic is recorded by). */
export function* candidates(req: RoutableRequest, c: Classification, saml: SamlMessageSummary | null): Generator<Candidate> {
  const param = (name: string) => req.query.get(name) ?? req.form?.get(name) ?? null;
  for (const name of ["organization_id", "organization"]) {
    const value = param(name);
    if (value) yield { signal: "organization_id", kind: "organization", value };
  }
  if (c.pathConnection) yield { signal: "connection", kind: "connection", value: c.pathConnection };
  for (const name of ["connection", "connection_id"]) {
    const value = param(name);
    if (value) yield { signal: "connection", kind: "connection", value };
  }
  const hint = param("login_hint");
  if (hint) {
    const domain = hint.slice(hint.lastIndexOf("@") + 1).trim();
    if (domain) yield { signal: "login_hint", kind: "domain", value: domain };
  }
  for (const name of ["domain", "domain_hint"]) {
    const value = param(name)?.trim();
    if (value) yield { signal: "domain", kind: "domain", value };
  }
  const clientId = req.form?.get("client_id") || req.basicClientId;
  if (clientId) yield { signal: "client_id", kind: "client_id", value: clientId };
  if (saml?.issuer) yield { signal: "saml_issuer", kind: "saml_issuer", value: saml.issuer };
  const iss = param("iss");
  if (iss) yield { signal: "oidc_iss", kind: "oidc_issuer", value: iss };
}
