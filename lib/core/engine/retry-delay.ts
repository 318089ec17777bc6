// The one exponential backoff of the runtime: job retries, the outbox relay, consumer resubscribes and
// Redis reconnects all wait `base × 2^attempt`, capped, optionally with jitter.

/** The delay before retry number `retryCount + 1`: `baseDelayMs × 2^retryCount`, at most `maxDelayMs`, minus jitter. */
export function retryDelay(
  retryCount: number,
  baseDelayMs: number,
  options: { maxDelayMs?: number | undefined; jitter?: number | undefined; random?: (() => number) | undefined } = {},
): number {
  let delay = baseDelayMs * 2 ** retryCount;
  if (options.maxDelayMs !== undefined) delay = Math.min(delay, options.maxDelayMs);
  const jitter = options.jitter ?? 0;
  if (jitter > 0) delay -= delay * jitter * (options.random ?? Math.random)();
  return Math.max(0, Math.round(delay));
}
