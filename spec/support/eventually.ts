// Waiting for a condition without sleeping: polls once per event-loop turn (so LMDB commits and sockets
// get their turn) until it holds. The deadline is on performance.now(), which mocked timers leave alone.
import { performance } from 'node:perf_hooks';

/** Resolves once `check` holds; rejects after `timeoutMs` of real time (a failure, never a measured speed). */
export async function eventually(check: () => boolean, what = 'a condition', timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
