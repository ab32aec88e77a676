import type { ClientMetadata } from "oidc-provider";
import { signingJwk } from "./keys.ts";
import { APP, REDIRECT_URI } from "./oidc-world.ts";
import { startOpenIdProvider, type OpenIdProvider } from "./openid-provider.ts";

/** Legacy and target as two real OpenID providers, the target behind a front that can refuse some logins. */
export type OidcPair = {
  legacy: OpenIdProvider;
  target: OpenIdProvider;
  /** Where the router should send the target's traffic: the front, not the provider itself. */
  targetOrigin: string;
  /** Which provider signed an ID token, by its key id. */
  signers: Record<string, "legacy" | "target">;
  close(): Promise<void>;
};

/**
 * Starts both providers with the application's client registered at each. The target's front
 * answers an authorize request whose `login_hint` `refuses` with an OAuth error redirect
 * (`access_denied`), as a provider with no connection for that customer does; it passes
 * everything else to the target unchanged.
 */
export async function startOidcPair(options: { publicUrl: string; refuses: (loginHint: string) => boolean }): Promise<OidcPair> {
  const keys = { legacy: await signingJwk("legacy-signing-key"), target: await signingJwk("target-signing-key") };
  const clients: ClientMetadata[] = [{ client_id: APP.id, client_secret: APP.secret, redirect_uris: [REDIRECT_URI], grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_post" }];
  const legacy = await startOpenIdProvider({ id: "legacy", issuer: options.publicUrl, signingKey: keys.legacy.privateJwk, clients, trustProxy: true });
  const target = await startOpenIdProvider({ id: "target", issuer: options.publicUrl, signingKey: keys.target.privateJwk, clients, trustProxy: true });
  const front = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      const hint = url.searchParams.get("login_hint") ?? "";
      if (url.pathname === "/authorize" && options.refuses(hint)) {
        const back = new URL(url.searchParams.get("redirect_uri")!);
        back.searchParams.set("error", "access_denied");
        back.searchParams.set("error_description", `${hint} has no connection on this provider`);
        if (url.searchParams.has("state")) back.searchParams.set("state", url.searchParams.get("state")!);
        return new Response(null, { status: 302, headers: { location: back.href } });
      }
      const body = request.method === "GET" || request.method === "HEAD" ? null : await request.arrayBuffer();
      return fetch(target.origin + url.pathname + url.search, { method: request.method, headers: request.headers, body, redirect: "manual" });
    },
  });
  return {
    legacy,
    target,
    targetOrigin: `http://127.0.0.1:${front.port}`,
    signers: { [keys.legacy.publicJwk.kid!]: "legacy", [keys.target.publicJwk.kid!]: "target" },
    async close() {
      front.stop(true);
      await Promise.all([legacy.close(), target.close()]);
    },
  };
}
