import { SCOPES } from "../services/commands/auth.ts";
import { mintToken } from "../services/commands/tokens.ts";
import { ttlSeconds } from "./ttl.ts";

export type TokenIo = { readSecret(): Promise<string | undefined>; out(line: string): void; err(line: string): void };


/** `ssomig token [--scope S[,S]] [--sub NAME] [--ttl 1h]`: mints a token from the development secret. */
export async function runToken(args: string[], io: TokenIo): Promise<number> {
  const options = { scope: "migrations:read,migrations:write", sub: "local-operator", ttl: "1h" };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!.replace(/^--/, "") as keyof typeof options;
    const value = args[i + 1];
    if (!(flag in options) || value === undefined) {
      io.err(`ssomig token: unknown or incomplete option ${args[i]} (use --scope, --sub, --ttl)`);
      return 2;
    }
    options[flag] = value;
    i++;
  }
  const scopes = options.scope.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown !== undefined) {
    io.err(`ssomig token: unknown scope ${unknown} (known: ${SCOPES.join(", ")})`);
    return 2;
  }
  const seconds = ttlSeconds(options.ttl);
  if (seconds === null) {
    io.err(`ssomig token: --ttl must look like 30m, 12h or 7d, got ${options.ttl}`);
    return 2;
  }
  const secret = await io.readSecret();
  if (!secret) {
    io.err("ssomig token: no AUTH_SECRET and no development secret under DATA_DIR (start ssomigrate once with `npm start` first)");
    return 2;
  }
  io.out(await mintToken(secret, { subject: options.sub, scopes, ttlSeconds: seconds }));
  return 0;
}
