import { afterEach } from "bun:test";

/**
 * Registers cleanups for the running test (servers it started, migrations it made), run after
 * it whether it passed or not, most recent first. Call once per test file.
 */
export function cleanupsAfterEachTest(): (cleanup: () => Promise<void>) => void {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => void cleanups.push(cleanup);
}
