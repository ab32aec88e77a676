import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { JWK } from "jose";
import Provider, { type ClientMetadata } from "oidc-provider";

/** The API that M2M clients get JWT access tokens for (so a test can see which provider signed one). */
export const API_RESOURCE = "https://api.example.test";

export type OpenIdProvider = {
  id: string;
  origin: string;
  /** What the provider did, as its own events report it: `grant.success`, `grant.error:invalid_client`... */
  events: string[];
  /** Stops listening and drops every connection: the provider is down (its state is kept). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
};

/**
 * A real OpenID provider (node-oidc-provider) on its own port, playing a migration's legacy or
 * target provider. Both use the router's public URL as their issuer, as providers serving a
 * custom domain do; each has its own signing key. With `trustProxy` it builds its URLs from
 * the router's X-Forwarded-Host/-Proto; without it the router must keep the public Host.
 */
export async function startOpenIdProvider(options: { id: string; issuer: string; signingKey: JWK; clients: ClientMetadata[]; trustProxy: boolean }): Promise<OpenIdProvider> {
  const provider = new Provider(options.issuer, {
    clients: options.clients,
    jwks: { keys: [options.signingKey] },
    cookies: { keys: [crypto.randomUUID()] },
    routes: { authorization: "/authorize", token: "/token", userinfo: "/userinfo", jwks: "/jwks" },
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    scopes: ["openid", "email", "api:read"],
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, email: sub, email_verified: true }) }),
    // The app gets refresh tokens without offline_access consent, so refreshes go through the router too.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    clientAuthMethods: ["client_secret_basic", "client_secret_post", "private_key_jwt"],
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, client) => (client.grantTypes?.includes("client_credentials") ? API_RESOURCE : undefined!),
        getResourceServerInfo: () => ({ scope: "api:read", audience: API_RESOURCE, accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256" } } }),
        useGrantedResource: () => true,
      },
    },
  });
  provider.proxy = options.trustProxy;
  const events: string[] = [];
  provider.on("authorization.success", () => events.push("authorization.success"));
  provider.on("grant.success", () => events.push("grant.success"));
  provider.on("server_error", () => events.push("server_error"));
  provider.on("grant.error", (_ctx, error) => events.push(`grant.error:${error.error}`));
  provider.on("authorization.error", (_ctx, error) => events.push(`authorization.error:${error.error}`));
  provider.on("userinfo.error", (_ctx, error) => events.push(`userinfo.error:${error.error}`));

  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const stop = () =>
    new Promise<void>((resolve, reject) => {
      if (!server.listening) return resolve();
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  return {
    id: options.id,
    origin: `http://127.0.0.1:${port}`,
    events,
    stop,
    start: () => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve)),
    close: stop,
  };
}
