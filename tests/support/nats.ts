import { connect } from "nats";

/** The NATS server integration tests use; each test uses its own subject prefix. */
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";

/** Fails with a clear message when the test NATS server is not there. */
export async function natsAvailable(): Promise<void> {
  try {
    const nc = await connect({ servers: TEST_NATS_URL, timeout: 2000, maxReconnectAttempts: 0 });
    await nc.close();
  } catch (error) {
    throw new Error(`integration tests need NATS at ${TEST_NATS_URL} (set TEST_NATS_URL): ${String(error)}`);
  }
}

/**
 * Deletes the credential buckets routers started under `prefixes` created (`<prefix>-credentials-*`),
 * so a test that runs router processes on the shared NATS leaves nothing behind.
 */
export async function deleteCredentialBuckets(prefixes: Iterable<string>, url = TEST_NATS_URL): Promise<void> {
  const nc = await connect({ servers: url, timeout: 2000, maxReconnectAttempts: 0 }).catch(() => null);
  if (!nc) return; // no NATS, so no buckets
  try {
    const jsm = await nc.jetstreamManager();
    for (const prefix of prefixes) {
      for (const kind of ["code", "access_token", "refresh_token"]) await jsm.streams.delete(`KV_${prefix}-credentials-${kind}`).catch(() => false);
    }
  } catch {
    // JetStream not enabled: routers could not have created buckets either.
  } finally {
    await nc.close();
  }
}
