import { forceRoutes, MAX_ROUTE_TOKEN_TTL_SECONDS } from "../services/router/force-route.ts";
import { ttlSeconds } from "./ttl.ts";
import { runStandalone } from "./parser.ts";
import type { Command } from "commander";

export type RouteTokenIo = { readSecret(): Promise<string | undefined>; out(line: string): void; err(line: string): void };


type RouteTokenOptions = { provider?: string; org?: string; ttl: string };

/** Adds `route-token` to `parent`; `setExit` receives its exit code. */
export function addRouteToken(parent: Command, io: RouteTokenIo, setExit: (code: number) => void): Command {
  return parent
    .command("route-token")
    .summary("a token for X-Ssomig-Route: force one organization to a provider (at most 24h)")
    .description("a token for the X-Ssomig-Route header: force one organization's requests to a provider, for at most 24h (signed with ROUTER_PIN_SECRET, else DATA_DIR/pin.secret)")
    .option("--provider <id>", "the provider to force, e.g. target (required)")
    .option("--org <id>", "the organization whose traffic it acts on (required)")
    .option("--ttl <duration>", "how long it lasts: 90s, 15m, 2h (at most 24h)", "15m")
    .action(async (options: RouteTokenOptions) => setExit(await mintRouteToken(options, io)));
}

/**
 * `ssomig route-token --provider ID --org ID [--ttl 15m]`: a token for the X-Ssomig-Route header,
 * good for that organization's traffic only, for at most 24 hours.
 */
export const runRouteToken = (args: string[], io: RouteTokenIo): Promise<number> => runStandalone("route-token", (program, setExit) => addRouteToken(program, io, setExit), args, io);

async function mintRouteToken(options: RouteTokenOptions, io: RouteTokenIo): Promise<number> {
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
