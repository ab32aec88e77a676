import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseConfig, providerCatalog } from "../../shared/config.ts";
import { openEventStore } from "../../db/event-store.ts";
import type { Database } from "../../db/sql.ts";
import { createCommandsApp } from "../../services/commands/app.ts";
import { createTokenVerifier } from "../../services/commands/auth.ts";
import { preflightProbe } from "../../services/commands/preflight.ts";
import { mintToken } from "../../services/commands/tokens.ts";
import { silentLog } from "../../services/http/log.ts";
import { createForwarder } from "../../services/router/forward.ts";
import { eventually } from "../support/eventually.ts";
import { startUpstream } from "../support/router.ts";
import { randomSecret } from "../support/secrets.ts";
import { unique } from "../support/unique.ts";
import { DATABASES } from "../support/stores.ts";

const SECRET = randomSecret("api");
const PUBLIC = "https://auth.example.com";


/**
 * A preflight with an Idempotency-Key behaves as every other command: the probes run once, after
 * the key is claimed, and a retry gets the stored answer byte for byte. The target is a real HTTP
 * server that counts the probes it answers and can hold them until the test lets them go.
 */
for (const backend of DATABASES) {
  describe(`preflight with an Idempotency-Key on ${backend.name}`, () => {
    const target = startUpstream("target");
    const legacy = startUpstream("legacy");
    let gate: Promise<void> = Promise.resolve();
    target.handle(async () => {
      await gate;
      return new Response(null, { status: 302, headers: { location: "https://idp.customer.example/sso?SAMLRequest=x" } });
    });
    const config = parseConfig({
      publicUrl: PUBLIC,
      providers: [
        { id: "legacy", role: "legacy", origin: legacy.origin },
        { id: "target", role: "target", origin: target.origin, preflight: { clientId: "preflight-app", redirectUri: "https://app.example.com/cb" } },
      ],
    });
    let f: { db: Database; close(): Promise<void> };
    let app: ReturnType<typeof createCommandsApp>;
    let token: string;
    beforeAll(async () => {
      f = await backend.open();
      const store = await openEventStore(f.db);
      const preflight = preflightProbe({ providers: config.providers, forward: createForwarder({ publicUrl: PUBLIC, fetch: (input, init) => fetch(input, init) }), publicUrl: PUBLIC });
      app = createCommandsApp({ store, providers: providerCatalog(config), verifyToken: await createTokenVerifier({ secret: SECRET }), log: silentLog, preflight });
      token = await mintToken(SECRET, { subject: "ops@example.com", scopes: ["migrations:write", "migrations:read"], ttlSeconds: 300 });
    });
    afterAll(async () => {
      target.stop();
      legacy.stop();
      await f?.close();
    });

    const send = async (path: string, key: string | null, body?: unknown) => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (key) headers["idempotency-key"] = key;
      if (body !== undefined) headers["content-type"] = "application/json";
      const response = await app.request(path, { method: "POST", headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      return { status: response.status, text: await response.text() };
    };
    const preflights = async (id: string) =>
      (await f.db.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE stream_id = $1 AND type = 'PreflightRecorded'", [`organization-${id}`]))[0]!.n;
    const probesFor = (connection: string) => target.requests.filter((r) => new URL(r.url).searchParams.get("connection") === connection).length;
    async function register(id: string) {
      expect((await send("/v1/organizations", null, { id, name: id, identifiers: [{ kind: "connection", value: `${id}-okta` }] })).status).toBe(201);
    }

    test("a retry with the same key and body gets the first answer byte for byte, without a second probe or event", async () => {
      const id = unique("retry");
      await register(id);
      const key = unique("key");
      const first = await send(`/v1/organizations/${id}/preflight`, key);
      expect(first.status).toBe(200);
      expect(JSON.parse(first.text)).toMatchObject({ organizationId: id, provider: "target", passed: true });
      const retry = await send(`/v1/organizations/${id}/preflight`, key);
      expect(retry).toEqual(first);
      expect(probesFor(`${id}-okta`)).toBe(1);
      expect(await preflights(id)).toBe(1);
      // Without a key, each request is its own preflight.
      expect((await send(`/v1/organizations/${id}/preflight`, null)).status).toBe(200);
      expect(await preflights(id)).toBe(2);
    });

    test("the same key with another body is refused with idempotency_key_reused, and probes nothing", async () => {
      const id = unique("reused");
      await register(id);
      const key = unique("key");
      expect((await send(`/v1/organizations/${id}/preflight`, key)).status).toBe(200);
      const reused = await send(`/v1/organizations/${id}/preflight`, key, { to: "target" });
      expect(reused.status).toBe(422);
      expect(JSON.parse(reused.text).code).toBe("idempotency_key_reused");
      // A key used by another command is not a preflight's either.
      const migrateKey = unique("key");
      expect((await send(`/v1/organizations/${id}/migrate`, migrateKey, { reason: "r" })).status).toBe(200);
      expect(JSON.parse((await send(`/v1/organizations/${id}/preflight`, migrateKey)).text).code).toBe("idempotency_key_reused");
      expect(probesFor(`${id}-okta`)).toBe(1);
      expect(await preflights(id)).toBe(1);
    });

    test("concurrent retries wait for the first: one probe, one event, the same bytes for all", async () => {
      const id = unique("concurrent");
      await register(id);
      let release!: () => void;
      gate = new Promise<void>((resolve) => (release = resolve));
      const key = unique("key");
      const answers = Promise.all(Array.from({ length: 8 }, () => send(`/v1/organizations/${id}/preflight`, key)));
      await eventually(async () => probesFor(`${id}-okta`), (n) => n === 1);
      if (backend.name === "PostgreSQL") {
        // The others wait on the first one's claim of the key, inside the database.
        await eventually(
          () => f.db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO idempotency_keys%'"),
          (rows) => rows[0]!.n === 7,
        );
      }
      release();
      gate = Promise.resolve();
      const all = await answers;
      expect(all.map((a) => a.status)).toEqual(Array(8).fill(200));
      expect(new Set(all.map((a) => a.text)).size).toBe(1);
      expect(probesFor(`${id}-okta`)).toBe(1);
      expect(await preflights(id)).toBe(1);
    });

    test("a preflight of an unknown organization releases its key: the same key works once it exists", async () => {
      const id = unique("later");
      const key = unique("key");
      expect((await send(`/v1/organizations/${id}/preflight`, key)).status).toBe(404);
      await register(id);
      expect((await send(`/v1/organizations/${id}/preflight`, key)).status).toBe(200);
      expect(await preflights(id)).toBe(1);
    });
  });
}
