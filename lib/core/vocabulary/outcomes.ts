// The outcome constructors: one function per kind of outcome, so a middleware (the package's own and a user's)
// builds an Outcome without importing neverthrow. The package exports completed(), skipped() and failed(); the
// other kinds come from the runtime's own middleware and runJob().
import { err, ok } from 'neverthrow';
import type { AbortSource } from './job-abort-error.js';
import type { Outcome } from './outcome.js';

/**
 * The job ran to its end with `result` (final status Completed): what a middleware returns instead of calling
 * `next`, e.g. a cached result.
 */
export function completed(result?: unknown): Outcome {
  return ok({ kind: 'completed', result });
}

/** The job does not run, and the occurrence ends without a failure (final status Cancelled, result `Job skipped: <reason>`). */
export function skipped(reason: string): Outcome {
  return ok({ kind: 'skipped', reason });
}

/**
 * The execution failed with `error` (final status Failed, unless the retry middleware runs it again). `permanent`:
 * no retry can help, the retry middleware gives up at once (default false: the retry budget applies);
 * `retriesExhausted`: set once the retry budget is used up, the number of retries that were made.
 */
export function failed(error: unknown, options: { readonly permanent?: boolean | undefined; readonly retriesExhausted?: number | undefined } = {}): Outcome {
  const { permanent = false, retriesExhausted } = options;
  // No `retriesExhausted: undefined` key: a failure that was never retried carries only what it knows.
  if (retriesExhausted === undefined) return err({ kind: 'failed', error, permanent });
  return err({ kind: 'failed', error, permanent, retriesExhausted });
}

/** The attempt exceeded its budget of `timeoutMs` (final status TimedOut). */
export function timedOut(timeoutMs: number, elapsedMs: number): Outcome {
  return err({ kind: 'timed-out', timeoutMs, elapsedMs });
}

/** The execution was aborted by a cancel or a shutdown (final status Cancelled). */
export function cancelled(reason: string, source: AbortSource): Outcome {
  return err({ kind: 'cancelled', reason, source });
}

/** The job's data did not pass its schema (final status Failed, never retried). */
export function invalidData(issues: readonly string[]): Outcome {
  return err({ kind: 'invalid-data', issues });
}

/** No job of this worker matches the message's job name (final status Failed). */
export function unknownJob(jobName: string): Outcome {
  return err({ kind: 'unknown-job', jobName });
}

/** The retry middleware's scheduled mode: the transport runs the occurrence again after `delayMs` (no final status yet). */
export function retryScheduled(delayMs: number, nextRetryCount: number, error: unknown): Outcome {
  return err({ kind: 'retry-scheduled', delayMs, nextRetryCount, error });
}
