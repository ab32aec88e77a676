import { createCommandsApp } from "../../services/commands/app.ts";
import { createTokenVerifier } from "../../services/commands/auth.ts";
import { mintToken } from "../../services/commands/tokens.ts";
import { silentLog } from "../../services/http/log.ts";
import { openEventStore, type EventStore } from "../../db/event-store.ts";
import { openPglite } from "../../db/pglite.ts";
import { PROVIDERS } from "./commands.ts";
import { randomSecret } from "./secrets.ts";

export const TEST_SECRET = randomSecret("api");

/** A fresh in-memory PGlite store with the command API over it (the API tests' setup). */
export async function pgliteApi(auth: { audience?: string; issuer?: string } = {}) {
  const db = await openPglite();
  const store = await openEventStore(db);
  return { db, store, api: await commandsApi(store, auth) };
}

/** The command API over a given store, with helpers to call it as a user with curl would. */
export async function commandsApi(store: EventStore, auth: { audience?: string; issuer?: string } = {}) {
  const verifyToken = await createTokenVerifier({ secret: TEST_SECRET, ...auth });
  const app = createCommandsApp({ store, providers: PROVIDERS, verifyToken, log: silentLog });
  const token = (scopes = ["migrations:read", "migrations:write", "admin"], subject = "alice@example.com", extra: { audience?: string; issuer?: string; ttlSeconds?: number } = {}) =>
    mintToken(TEST_SECRET, { subject, scopes, ttlSeconds: extra.ttlSeconds ?? 300, ...(extra.audience ? { audience: extra.audience } : {}), ...(extra.issuer ? { issuer: extra.issuer } : {}) });
  const adminToken = await token(undefined, "alice@example.com", auth);
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers } };
    if (body !== undefined) init.body = typeof body === "string" || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
    const response = await app.request(path, init);
    const text = await response.text();
    const type = response.headers.get("content-type") ?? "";
    return { status: response.status, headers: response.headers, type, body: type.includes("json") && !type.includes("ndjson") ? JSON.parse(text) : text };
  }
  return { app, token, call };
}
