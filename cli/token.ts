import type { MintingAuth } from "../services/auth-settings.ts";
import { SCOPES } from "../services/commands/auth.ts";
import { mintToken } from "../services/commands/tokens.ts";
import { ttlSeconds } from "./ttl.ts";
import type { Command } from "commander";

export type TokenIo = { readAuth(): Promise<MintingAuth>; out(line: string): void; err(line: string): void };

const DAY = 86400;
/** Longest lifetime per scope: an admin token is the most dangerous to lose. */
export const MAX_TTL_SECONDS = { admin: 30 * DAY, other: 90 * DAY } as const;
const DEVELOPMENT_SUBJECT = "local-operator";

type TokenOptions = { scope: string; sub?: string; ttl: string };

/** Adds `token` to `parent`; `setExit` receives its exit code. */
export function addToken(parent: Command, io: TokenIo, setExit: (code: number) => void): Command {
  return parent
    .command("token")
    .summary("mint an API token (--ttl at most 30d with the admin scope, 90d otherwise)")
    .description(
      "mint an API token the API accepts: signed with AUTH_SECRET (else DATA_DIR/auth.secret), with AUTH_ISSUER / AUTH_AUDIENCE when set; " +
        "--ttl at most 30d with the admin scope, 90d otherwise; refused when the API checks AUTH_JWKS_URL or AUTH_PUBLIC_KEY (mint those with your identity provider)",
    )
    .option("--sub <name>", `who acts (every event records it): required with AUTH_SECRET; default ${DEVELOPMENT_SUBJECT} in the embedded default`)
    .option("--scope <scopes>", `comma-separated: ${SCOPES.join(", ")}`, "migrations:read,migrations:write")
    .option("--ttl <duration>", "how long it lasts: 30m, 12h, 7d", "1h")
    .action(async (options: TokenOptions) => setExit(await runToken(options, io)));
}

/** `ssomig token --sub NAME [--scope S[,S]] [--ttl 1h]`: an API token the configured API accepts. */
export async function runToken(options: TokenOptions, io: TokenIo): Promise<number> {
  const fail = (message: string) => (io.err(`ssomig token: ${message}`), 2);
  const scopes = options.scope.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown !== undefined) return fail(`unknown scope ${unknown} (known: ${SCOPES.join(", ")})`);
  if (scopes.length === 0) return fail("--scope needs at least one scope");
  const seconds = ttlSeconds(options.ttl);
  if (seconds === null || seconds === 0) return fail(`--ttl must look like 30m, 12h or 7d, got ${options.ttl}`);
  const cap = scopes.includes("admin") ? MAX_TTL_SECONDS.admin : MAX_TTL_SECONDS.other;
  if (seconds > cap) return fail(`--ttl ${options.ttl} is longer than the ${cap / DAY}d allowed ${scopes.includes("admin") ? "with the admin scope" : "for an API token"}`);
  if (options.sub !== undefined && options.sub.trim() === "") return fail("--sub must name a person or a system");

  const auth = await io.readAuth();
  if (auth.mode === "jwks" || auth.mode === "public_key") {
    return fail(`the API verifies tokens against ${auth.mode === "jwks" ? "AUTH_JWKS_URL" : "AUTH_PUBLIC_KEY"}; it would refuse a token signed here (mint it with your identity provider)`);
  }
  if (auth.mode === "none") return fail("no AUTH_SECRET and no development secret under DATA_DIR (start ssomigrate once with `npm start` first)");
  if (new TextEncoder().encode(auth.secret).length < 32) return fail("AUTH_SECRET is shorter than 32 bytes; the API refuses to start with it");
  const subject = options.sub ?? (auth.mode === "development" ? DEVELOPMENT_SUBJECT : undefined);
  if (subject === undefined) return fail("--sub is required with AUTH_SECRET: name the person or system that will act (every event records it)");
  io.out(
    await mintToken(auth.secret, {
      subject,
      scopes,
      ttlSeconds: seconds,
      ...(auth.issuer ? { issuer: auth.issuer } : {}),
      ...(auth.audience ? { audience: auth.audience } : {}),
    }),
  );
  return 0;
}
