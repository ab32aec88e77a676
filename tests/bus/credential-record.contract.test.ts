import { afterAll, describe, expect, test } from "bun:test";
import { connect } from "nats";
import { CREDENTIAL_KINDS, credentialHash, type CredentialRecord, type CredentialTtls } from "../../services/bus/credential-record.ts";
import { inProcessCredentialRecord } from "../../services/bus/in-process-credential-record.ts";
import { natsCredentialRecord } from "../../services/bus/nats-credential-record.ts";
import { eventually } from "../support/eventually.ts";
import { natsServer } from "../support/processes.ts";
import { TEST_NATS_URL, natsAvailable } from "../support/nats.ts";
import { unique } from "../support/unique.ts";

/** Long enough for the record to be written and read, short enough to watch expire. */
const TTLS: CredentialTtls = { code: 1500, access_token: 60_000, refresh_token: 120_000 };

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function openNats(url: string, bucketPrefix: string) {
  const record = natsCredentialRecord({ url, bucketPrefix, ttlMs: TTLS, timeoutMs: 2000 });
  cleanups.push(() => record.close());
  await eventually(async () => record.available(), Boolean, 5000);
  return record;
}

/** Each run's buckets are its own; they are deleted afterwards. */
async function deleteBuckets(prefix: string) {
  const nc = await connect({ servers: TEST_NATS_URL });
  const jsm = await nc.jetstreamManager();
  for (const kind of CREDENTIAL_KINDS) await jsm.streams.delete(`KV_${prefix}-${kind}`).catch(() => false);
  await nc.close();
}

/** `pair()`: two routers' views of one shared record (the in-process record is shared by being one object). */
const FACTORIES: { name: CredentialRecord["kind"]; pair(): Promise<{ a: CredentialRecord; b: CredentialRecord }> }[] = [
  {
    name: "in-process",
    async pair() {
      const record = inProcessCredentialRecord({ ttlMs: TTLS });
      cleanups.push(() => record.close());
      return { a: record, b: record };
    },
  },
  {
    name: "nats",
    async pair() {
      await natsAvailable();
      const prefix = unique("ssomig-test-credentials");
      const a = await openNats(TEST_NATS_URL, prefix);
      const b = await openNats(TEST_NATS_URL, prefix);
      cleanups.push(() => deleteBuckets(prefix));
      return { a, b };
    },
  },
];

for (const factory of FACTORIES) {
  describe(`credential record contract: ${factory.name}`, () => {
    test("a credential one router learned is found by another, by its hash", async () => {
      const { a, b } = await factory.pair();
      const code = await credentialHash(`code-${crypto.randomUUID()}`);
      const refresh = await credentialHash(`refresh-${crypto.randomUUID()}`);
      await a.remember("code", code, "target");
      await a.remember("refresh_token", refresh, "legacy");
      expect(await b.issuerOf(code)).toBe("target");
      expect(await b.issuerOf(refresh)).toBe("legacy");
      expect(a.kind).toBe(factory.name);
    });

    test("a credential never recorded is unknown", async () => {
      const { b } = await factory.pair();
      expect(await b.issuerOf(await credentialHash(crypto.randomUUID()))).toBeNull();
    });

    test("stores hashes only: a credential's value is refused", async () => {
      const { a } = await factory.pair();
      await expect(a.remember("code", "the-code-itself", "target")).rejects.toThrow(/SHA-256/);
    });

    test("each kind lives its own lifetime: a code expires while a refresh token stays", async () => {
      const { a, b } = await factory.pair();
      const code = await credentialHash(crypto.randomUUID());
      const refresh = await credentialHash(crypto.randomUUID());
      await a.remember("code", code, "target");
      await a.remember("refresh_token", refresh, "target");
      expect(await b.issuerOf(code)).toBe("target");
      await eventually(() => b.issuerOf(code), (issuer) => issuer === null, 8000);
      expect(await b.issuerOf(refresh)).toBe("target");
    });

    test("a lookup narrowed to some kinds does not see the others", async () => {
      const { a, b } = await factory.pair();
      const token = await credentialHash(crypto.randomUUID());
      await a.remember("refresh_token", token, "target");
      expect(await b.issuerOf(token, ["code"])).toBeNull();
      expect(await b.issuerOf(token, ["access_token", "refresh_token"])).toBe("target");
    });

    test("the last issuer recorded for a hash wins", async () => {
      const { a, b } = await factory.pair();
      const token = await credentialHash(crypto.randomUUID());
      await a.remember("access_token", token, "legacy");
      await a.remember("access_token", token, "target");
      expect(await b.issuerOf(token)).toBe("target");
    });

    test("is available until closed", async () => {
      const { a } = await factory.pair();
      expect(a.available()).toBe(true);
      await a.close();
      expect(a.available()).toBe(false);
    });
  });
}

test("in-process: bounded, the oldest entry is forgotten first", async () => {
  const record = inProcessCredentialRecord({ ttlMs: TTLS, maxEntries: 2 });
  const [one, two, three] = await Promise.all(["1", "2", "3"].map(credentialHash));
  await record.remember("code", one!, "legacy");
  await record.remember("code", two!, "legacy");
  await record.remember("code", three!, "target");
  expect([await record.issuerOf(one!), await record.issuerOf(two!), await record.issuerOf(three!)]).toEqual([null, "legacy", "target"]);
});

test("nats: a changed lifetime is applied to an existing bucket", async () => {
  await natsAvailable();
  const prefix = unique("ssomig-test-ttl");
  cleanups.push(() => deleteBuckets(prefix));
  const first = natsCredentialRecord({ url: TEST_NATS_URL, bucketPrefix: prefix, ttlMs: TTLS });
  cleanups.push(() => first.close());
  await eventually(async () => first.available(), Boolean, 5000);
  const second = natsCredentialRecord({ url: TEST_NATS_URL, bucketPrefix: prefix, ttlMs: { ...TTLS, refresh_token: 7_200_000 } });
  cleanups.push(() => second.close());
  await eventually(async () => second.available(), Boolean, 5000);
  const nc = await connect({ servers: TEST_NATS_URL });
  const info = await (await nc.jetstreamManager()).streams.info(`KV_${prefix}-refresh_token`);
  await nc.close();
  expect(info.config.max_age).toBe(7_200_000 * 1_000_000);
});

describe("nats: the server goes away", () => {
  test("says it is unavailable, still knows what it learned itself, and shares it, and what follows, once NATS is back", async () => {
    const server = await natsServer({ jetStream: true });
    cleanups.push(() => server.close());
    const prefix = unique("ssomig-test-outage");
    const a = await openNats(server.url, prefix);
    const b = await openNats(server.url, prefix);
    const before = await credentialHash(crypto.randomUUID());
    await a.remember("refresh_token", before, "target");

    await server.stop();
    await eventually(async () => [a.available(), b.available()], (up) => !up[0] && !up[1], 5000);
    const during = await credentialHash(crypto.randomUUID());
    await expect(a.remember("code", during, "target")).rejects.toThrow(/not reachable/);
    expect(await a.issuerOf(during)).toBe("target"); // its own flows still route
    await expect(b.issuerOf(during)).rejects.toThrow(/not reachable/); // the other router knows it does not know

    await server.start();
    await eventually(async () => a.available() && b.available(), Boolean, 10_000);
    expect(await b.issuerOf(before)).toBe("target"); // JetStream kept it (file store)
    expect(await eventually(() => b.issuerOf(during), (issuer) => issuer !== null, 5000)).toBe("target"); // learned during the outage, shared on reconnect
    const after = await credentialHash(crypto.randomUUID());
    await a.remember("code", after, "legacy");
    expect(await b.issuerOf(after)).toBe("legacy");
  }, 30_000);
});
