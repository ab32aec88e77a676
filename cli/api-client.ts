import { readFile } from "node:fs/promises";
import type { CliSettings } from "./cli-settings.ts";
import { CliFailure, EXIT } from "./exit-codes.ts";

/** An organization as the API shows it (`services/commands/views.ts`). */
export type OrganizationJson = {
  id: string;
  name: string;
  provider: string;
  rollbackTo: string | null;
  version: number;
  position: number;
  identifiers: { kind: string; value: string }[];
  tags: string[];
  updatedAt?: string;
  asOf?: { position: number; recordedAt: string };
};

/** An event as the API shows it. */
export type EventJson = {
  position: number;
  /** null for a wave's event. */
  organizationId: string | null;
  streamId: string;
  version: number;
  type: string;
  data: Record<string, unknown>;
  actor: string;
  reason: string | null;
  requestId: string;
  idempotencyKey: string | null;
  recordedAt: string;
};

type Problem = { status?: number; code?: string; detail?: string };

export type RequestOptions = { body?: unknown; idempotencyKey?: string; accept?: string; /** An ETag (`"3"`): the write applies only to that version (409 version_conflict otherwise). */ ifMatch?: string };

export type ApiClient = {
  /** The API's answer as JSON; a problem answer becomes a CliFailure (exit 1) naming its status and code. */
  json<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /** The raw answer of a successful request (for streams). */
  response(method: string, path: string, options?: RequestOptions): Promise<Response>;
};

/** Seconds between the attempts of a write whose connection failed: the same Idempotency-Key makes the retry safe. */
const WRITE_RETRY_DELAYS_MS = [250, 1000];

/** A refusal from the API as one line: `409 already_on_provider: organization acme is already on target`. */
export class ApiRefusal extends CliFailure {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, detail: string) {
    super(EXIT.refused, `${status} ${code}: ${detail}`);
    this.status = status;
    this.code = code;
  }
}

export function apiClient(settings: CliSettings, fetcher: (url: string, init?: RequestInit) => Promise<Response> = (url, init) => fetch(url, init)): ApiClient {
  let token: Promise<string> | undefined;
  const bearer = () => (token ??= readToken(settings));

  async function send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const url = `${settings.apiUrl}${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${await bearer()}`, accept: options.accept ?? "application/json" };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
    if (options.ifMatch) headers["if-match"] = options.ifMatch;
    const init = { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) };
    // Only a write with a key is retried: the API answers a retry with the first result and appends nothing.
    const delays = options.idempotencyKey ? WRITE_RETRY_DELAYS_MS : [];
    for (let attempt = 0; ; attempt++) {
      try {
        return await fetcher(url, init);
      } catch (error) {
        if (attempt >= delays.length) {
          throw new CliFailure(EXIT.unreachable, `cannot reach the API at ${settings.apiUrl} (${reasonOf(error)}); is it running? (SSOMIG_API_URL)`);
        }
        await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
      }
    }
  }

  async function response(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const answer = await send(method, path, options);
    if (answer.ok) return answer;
    const text = await answer.text().catch(() => "");
    let problem: Problem = {};
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      // not JSON: a proxy in front of the API, most likely
    }
    if (typeof problem.code === "string") throw new ApiRefusal(answer.status, problem.code, oneLine(problem.detail ?? ""));
    throw new ApiRefusal(answer.status, "http_error", `the API at ${settings.apiUrl} answered ${answer.status} ${answer.statusText} without a problem body`);
  }

  return {
    response,
    async json<T>(method: string, path: string, options: RequestOptions = {}) {
      const answer = await response(method, path, options);
      try {
        return (await answer.json()) as T;
      } catch {
        throw new CliFailure(EXIT.refused, `the API at ${settings.apiUrl} answered ${method} ${path} with a body that is not JSON`);
      }
    },
  };
}

async function readToken(settings: CliSettings): Promise<string> {
  if (settings.token) return settings.token;
  const text = await readFile(settings.tokenFile, "utf8").catch(() => null);
  const token = text?.trim();
  if (!token) {
    throw new CliFailure(EXIT.config, `no API token: set SSOMIG_TOKEN, or start the embedded default (npm start) so that ${settings.tokenFile} exists`);
  }
  return token;
}

function reasonOf(error: unknown): string {
  type Coded = { code?: string; cause?: Coded; errors?: Coded[] };
  const e = error as Coded;
  const cause = e?.cause?.code ?? e?.cause?.errors?.[0]?.code ?? e?.code;
  if (typeof cause === "string") return cause;
  if (e?.cause instanceof Error) return oneLine(e.cause.message); // undici: "bad port", ...
  return oneLine(error instanceof Error ? error.message : String(error));
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/** A fresh key for a write: a retried request (same key) never applies twice. */
export const newIdempotencyKey = (): string => `ssomig-${crypto.randomUUID()}`;
