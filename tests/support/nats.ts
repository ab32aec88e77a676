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
