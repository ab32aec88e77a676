import { forceRoutes, MAX_ROUTE_TOKEN_TTL_SECONDS } from "../services/router/force-route.ts";
import { ttlSeconds } from "./ttl.ts";

export type RouteTokenIo = { readSecret(): Promise<string | undefined>; out(line: string): void; err(line: string): void };


export const ROUTE_TOKEN_USAGE = "route-token --provider ID --org ID [--ttl 15m]";

/**
 * `ssomig route-token --provider ID --org ID [--ttl 15m]`: a token for the X-Ssomig-Route header,
 * good for that organization's traffic only, for at most 24 hours.
 */
export async function runRouteToken(args: string[], io: RouteTokenIo): Promise<number> {
  const options: Record<string, string> = { ttl: "15m" };
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i]!.replace(/^--/, "");
    const value = args[i + 1];
    if (!["provider", "org", "ttl"].includes(flag) || value === undefined) {
      io.err(`ssomig route-token: unknown or incomplete option ${args[i]} (use --provider, --org, --ttl)`);
      return 2;
    }
    options[flag] = value;
  }
  if (!options.provider) {
    io.err("ssomig route-token: --provider is required (the provider id to force, e.g. target)");
    return 2;
  }
  if (!options.org) {
    io.err("ssomig route-token: --org is required (a route token acts on one organization's traffic only)");
    return 2;
  }
  const seconds = ttlSeconds(options.ttl!, "smh");
  if (seconds === null || seconds === 0) {
    io.err(`ssomig route-token: --ttl must look like 90s, 15m or 2h, got ${options.ttl}`);
    return 2;
  }
  if (seconds > MAX_ROUTE_TOKEN_TTL_SECONDS) {
    io.err(`ssomig route-token: --ttl ${options.ttl} is longer than the 24h a route token may live`);
    return 2;
  }
  const secret = await io.readSecret();
  if (!secret || new TextEncoder().encode(secret).length < 32) {
    io.err("ssomig route-token: needs ROUTER_PIN_SECRET (or the embedded default's DATA_DIR/pin.secret; start ssomigrate once with `npm start`)");
    return 2;
  }
  io.out(forceRoutes(secret, { providers: [] }).mint({ provider: options.provider, organizationId: options.org }, seconds));
  return 0;
}
