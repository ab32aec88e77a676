import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type ClientMetadata } from "oidc-provider";
import { faultProxy, type FaultProxy } from "../../support/fault-proxy.ts";
import { signingJwk } from "../../e2e/support/keys.ts";

/** A person in the company directory, as the IdP releases them. */
export type Person = { email: string; emailVerified: boolean; name?: string; groups: string[] };

export type CompanyIdp = {
  issuer: string;
  /** Between every client (browser and console) and the IdP: a test makes it silent. */
  proxy: FaultProxy;
  /** What the IdP did, from its own events: `grant.success`, `grant.error:invalid_grant`... */
  events: string[];
  /** Every request it received, as `METHOD /path`. */
  requests: string[];
  close(): Promise<void>;
};

/**
 * The company's own IdP: a real node-oidc-provider that requires PKCE of every client, knows a
 * small directory (login name = `sub`) and releases `groups` with the `groups` scope. Its issuer
 * is the address of a fault proxy in front of it, so a test can make it accept and never answer.
 */
export async function startCompanyIdp(options: {
  people: Record<string, Person>;
  clients: ClientMetadata[];
  /** Put email and groups in the ID token too (by default, as OpenID Connect says, only userinfo has them when an access token is issued). */
  claimsInIdToken?: boolean;
}): Promise<CompanyIdp> {
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy = await faultProxy({ host: "127.0.0.1", port: (server.address() as AddressInfo).port });
  const issuer = `http://127.0.0.1:${proxy.port}`;
  const key = await signingJwk("company-idp-key");
  const provider = new Provider(issuer, {
    clients: options.clients,
    jwks: { keys: [key.privateJwk] },
    cookies: { keys: [crypto.randomUUID()] },
    // Confidential clients too: the console must send a code challenge, or the IdP refuses it.
    pkce: { required: () => true },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    scopes: ["openid", "email", "profile", "groups"],
    findAccount: (_ctx, sub) => {
      const person = options.people[sub];
      if (!person) return undefined;
      return { accountId: sub, claims: () => ({ sub, email: person.email, email_verified: person.emailVerified, groups: person.groups, ...(person.name ? { name: person.name } : {}) }) };
    },
    features: { devInteractions: { enabled: true } },
    conformIdTokenClaims: !options.claimsInIdToken,
  });
  const events: string[] = [];
  provider.on("grant.success", () => events.push("grant.success"));
  provider.on("grant.error", (_ctx, error) => events.push(`grant.error:${error.error}`));
  provider.on("authorization.error", (_ctx, error) => events.push(`authorization.error:${error.error}`));
  provider.on("userinfo.error", (_ctx, error) => events.push(`userinfo.error:${error.error}`));
  const requests: string[] = [];
  const callback = provider.callback();
  handle = (req, res) => {
    requests.push(`${req.method} ${new URL(req.url ?? "/", issuer).pathname}`);
    callback(req, res);
  };
  return {
    issuer,
    proxy,
    events,
    requests,
    async close() {
      await proxy.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
