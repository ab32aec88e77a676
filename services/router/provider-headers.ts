import type { Config, ProviderConfig } from "../../shared/config.ts";
import { ConfigError } from "../../shared/errors.ts";
import { clientIpOf } from "./client-ip.ts";

/** Each provider's configured header values, read from the environment at start (services/settings.ts). */
export type ProviderHeaderValues = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** Adjusts the headers of one request about to go to `provider`. */
export type ProviderRules = (provider: ProviderConfig, upstream: Headers, request: { headers: Headers; clientIp: string | null }) => void;

/**
 * What a real provider's custom domain needs on every proxied request: its own Host, its secret
 * headers (Auth0's `cname-api-key`), and the end user's IP in the header it trusts. The client
 * never chooses any of these: its copies of every configured header are dropped first, for every
 * provider, so a value meant for one provider cannot reach another either.
 */
export function providerRules(options: { providers: readonly ProviderConfig[]; values: ProviderHeaderValues; trustedProxies?: Config["trustedProxies"] }): ProviderRules {
  const clientIp = clientIpOf(options.trustedProxies);
  const configured = new Set<string>();
  for (const p of options.providers) {
    for (const name of Object.keys(p.headers ?? {})) configured.add(name);
    // The router always sets X-Forwarded-For itself (forward.ts); every other client-IP header is only ever ours.
    if (p.clientIpHeader && p.clientIpHeader !== "x-forwarded-for") configured.add(p.clientIpHeader);
    const values = options.values.get(p.id);
    for (const [name, { fromEnv }] of Object.entries(p.headers ?? {})) {
      if (!values?.has(name)) throw new ConfigError(`providers.${p.id}.headers.${name}`, `no value was read from ${fromEnv}`);
    }
  }
  const dropped = [...configured];
  return function applyProviderRules(provider, upstream, request) {
    for (const name of dropped) upstream.delete(name);
    if (provider.hostHeader) upstream.set("host", provider.hostHeader);
    const values = options.values.get(provider.id);
    if (values) for (const [name, value] of values) upstream.set(name, value);
    if (provider.clientIpHeader) {
      const ip = clientIp(request.clientIp, request.headers);
      if (ip === null) upstream.delete(provider.clientIpHeader);
      else upstream.set(provider.clientIpHeader, ip);
    }
  };
}
