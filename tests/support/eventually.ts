/**
 * Polls `probe` until `accept` holds, or fails after `timeoutMs` with the last value seen.
 * For conditions that settle on their own (a log reader waits for the transaction-visibility
 * horizon, which any short transaction in the cluster, autovacuum's included, holds back).
 */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
