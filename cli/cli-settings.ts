import { z } from "zod";
import { ConfigError } from "../shared/errors.ts";

/** The CLI's own settings (the services' are `services/settings.ts`): read once, from the environment given. */
export type CliSettings = {
  /** SSOMIG_API_URL without a trailing slash; default the embedded default's API. */
  apiUrl: string;
  /** SSOMIG_TOKEN; without it the token is read from `tokenFile`. */
  token?: string;
  /** DATA_DIR/admin.token: the token the embedded default writes at start. */
  tokenFile: string;
  /** DATA_DIR: where `token` and `route-token` find the embedded default's secrets. */
  dataDir: string;
  /** ROUTER_PIN_SECRET: what `route-token` signs with (else DATA_DIR/pin.secret); its length is checked there. */
  pinSecret?: string;
};

export const DEFAULT_API_URL = "http://127.0.0.1:8081";

const optional = z.string().optional().transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));
const ENVIRONMENT = z.object({
  SSOMIG_API_URL: optional.refine((v) => v === undefined || (URL.canParse(v) && ["http:", "https:"].includes(new URL(v).protocol)), "must be an http(s) URL such as http://127.0.0.1:8081"),
  SSOMIG_TOKEN: optional.refine((v) => v === undefined || /^[\x21-\x7e]+$/.test(v), "must be one token (printable characters, no spaces)"),
  DATA_DIR: optional,
  ROUTER_PIN_SECRET: optional,
});

/** Fails with a ConfigError naming the first bad variable (the CLI prints it and exits 78). */
export function loadCliSettings(environment: Record<string, string | undefined>): CliSettings {
  const parsed = ENVIRONMENT.safeParse(environment);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? "environment"), issue.message);
  }
  const e = parsed.data;
  const dataDir = e.DATA_DIR ?? ".data";
  return {
    apiUrl: (e.SSOMIG_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, ""),
    ...(e.SSOMIG_TOKEN ? { token: e.SSOMIG_TOKEN } : {}),
    tokenFile: `${dataDir.replace(/\/+$/, "")}/admin.token`,
    dataDir,
    ...(e.ROUTER_PIN_SECRET ? { pinSecret: e.ROUTER_PIN_SECRET } : {}),
  };
}
