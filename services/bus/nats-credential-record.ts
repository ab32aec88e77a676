import { connect, Events, nanos, type KV, type NatsConnection } from "nats";
import { CREDENTIAL_KINDS, assertHash, type CredentialKind, type CredentialRecord, type CredentialTtls } from "./credential-record.ts";
import { inProcessCredentialRecord } from "./in-process-credential-record.ts";

export type NatsCredentialRecordOptions = {
  url: string;
  /** Bucket names are `<bucketPrefix>-code`, `-access_token`, `-refresh_token`; every router uses the same. */
  bucketPrefix: string;
  ttlMs: CredentialTtls;
  name?: string;
  /** JetStream request timeout: a put or get slower than this fails (the router then follows its policy). */
  timeoutMs?: number;
  onError?: (error: unknown) => void;
};

/**
 * The record shared by every router: one JetStream key-value bucket per kind of credential, the
 * bucket's max age being that kind's lifetime (NATS 2.9 has no per-key TTL). What this router
 * learned itself is also kept in the process, so it still routes its own flows while NATS is away.
 */
export function natsCredentialRecord(options: NatsCredentialRecordOptions): CredentialRecord {
  const local = inProcessCredentialRecord({ ttlMs: options.ttlMs, maxEntries: 50_000 });
  const buckets = new Map<CredentialKind, KV>();
  let nc: NatsConnection | null = null;
  /** Connected to NATS (the client reconnects by itself); the record is up when connected with every bucket open. */
  let connected = false;
  let closed = false;
  const prefix = options.bucketPrefix.replace(/[^A-Za-z0-9_-]/g, "_");
  // Learned while NATS was away: written to the buckets once it is back, so other routers learn them too.
  const unshared = new Map<string, { kind: CredentialKind; provider: string }>();
  const MAX_UNSHARED = 10_000;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  const up = () => connected && buckets.size === CREDENTIAL_KINDS.length;

  async function openBuckets(connection: NatsConnection) {
    const js = connection.jetstream({ timeout: options.timeoutMs ?? 2000 });
    const jsm = await connection.jetstreamManager({ timeout: options.timeoutMs ?? 2000 });
    for (const kind of CREDENTIAL_KINDS) {
      const bucket = await js.views.kv(`${prefix}-${kind}`, { ttl: options.ttlMs[kind], history: 1 });
      // An existing bucket keeps its own max age: a changed lifetime is applied to it here.
      const stream = await jsm.streams.info(`KV_${prefix}-${kind}`);
      if (stream.config.max_age !== nanos(options.ttlMs[kind])) await jsm.streams.update(stream.config.name, { ...stream.config, max_age: nanos(options.ttlMs[kind]) });
      buckets.set(kind, bucket);
    }
  }

  async function followStatus(connection: NatsConnection) {
    for await (const status of connection.status()) {
      if (status.type === Events.Disconnect) connected = false;
      if (status.type === Events.Reconnect) {
        connected = true;
        void share();
      }
    }
  }

  const opening = connect({ servers: options.url, name: options.name ?? "ssomigrate-credentials", maxReconnectAttempts: -1, reconnectTimeWait: 250, waitOnFirstConnect: true, pingInterval: 10_000 })
    .then(async (connection) => {
      if (closed) return void (await connection.close());
      nc = connection;
      connected = true;
      void followStatus(connection).catch((error) => options.onError?.(error));
      // JetStream may not answer yet (a server that has just started, or one under load): opening the
      // buckets is retried, with a growing pause, until it succeeds or the record is closed. Giving up
      // here would leave this router without the shared record until it restarted.
      for (let pause = 250; !closed && !connection.isClosed(); pause = Math.min(pause * 2, 5000)) {
        try {
          await openBuckets(connection);
          void share();
          return;
        } catch (error) {
          options.onError?.(error);
          await new Promise((resolve) => setTimeout(resolve, pause).unref?.());
        }
      }
    })
    .catch((error) => options.onError?.(error));

  async function share() {
    for (const [hash, { kind, provider }] of [...unshared]) {
      if (!up() || closed) return;
      if ((await local.issuerOf(hash, [kind])) === null) {
        unshared.delete(hash); // expired meanwhile
        continue;
      }
      try {
        await buckets.get(kind)!.put(hash, encoder.encode(provider));
        unshared.delete(hash);
      } catch (error) {
        options.onError?.(error);
        return;
      }
    }
  }

  const unavailable = () => new Error(`the credential record at NATS ${options.url} is not reachable`);

  return {
    kind: "nats",
    async remember(kind, hash, provider) {
      assertHash(hash);
      await local.remember(kind, hash, provider);
      const bucket = buckets.get(kind);
      try {
        if (!up() || closed || !bucket) throw unavailable();
        await bucket.put(hash, encoder.encode(provider));
      } catch (error) {
        if (!closed && unshared.size < MAX_UNSHARED) unshared.set(hash, { kind, provider });
        throw error;
      }
    },
    async issuerOf(hash, kinds = CREDENTIAL_KINDS) {
      const mine = await local.issuerOf(hash, kinds);
      if (mine !== null) return mine;
      if (!up() || closed) throw unavailable();
      const found = await Promise.all(kinds.map((kind) => buckets.get(kind)!.get(hash)));
      for (const entry of found) if (entry && entry.operation === "PUT" && entry.value.length > 0) return decoder.decode(entry.value);
      return null;
    },
    available: () => up() && !closed,
    async close() {
      if (closed) return;
      closed = true;
      connected = false;
      await local.close();
      const connection = nc;
      if (connection && !connection.isClosed()) await connection.drain().catch(() => connection.close());
      await Promise.race([opening, Promise.resolve()]);
    },
  };
}
