// The outcome of one execution through the pipeline: completed or skipped (the occurrence is over, nothing
// failed), a failure, or a retry deferred to the transport. Every switch over `kind` is exhaustive.
import type { Result } from 'neverthrow';
import type { AbortSource } from './job-abort-error.js';

/**
 * The execution is over and nothing failed: the job ran to its end (`completed`), or a filter decided it should
 * not run (`skipped`: the occurrence ends without running; Milvaion: Cancelled).
 */
export type Completion =
  | { readonly kind: 'completed'; readonly result: unknown }
  | { readonly kind: 'skipped'; readonly reason: string };

/** Why an execution failed. */
export type JobFailure =
  | {
      readonly kind: 'failed';
      readonly error: unknown;
      /** No retry can help (PermanentJobError, retryIf said no, invalid data). */
      readonly permanent: boolean;
      /** Set once the retry budget is used up: the number of retries that were made. */
      readonly retriesExhausted?: number | undefined;
    }
  | { readonly kind: 'timed-out'; readonly timeoutMs: number; readonly elapsedMs: number }
  | { readonly kind: 'cancelled'; readonly reason: string; readonly source: AbortSource }
  | { readonly kind: 'invalid-data'; readonly issues: readonly string[] }
  | { readonly kind: 'unknown-job'; readonly jobName: string }
  /**
   * Not run: `crashes` deliveries of the occurrence in a row ended with no outcome (its process died), more than
   * `limit` (Worker:MaxCrashRedeliveries). A poison message stops here instead of taking down process after process.
   */
  | { readonly kind: 'crash-looped'; readonly crashes: number; readonly limit: number };

/**
 * What did not complete: a failure, or the retry middleware's decision (scheduled mode, `retry-scheduled`) to run
 * the occurrence again later: the transport carries it out, nothing waits in-process.
 */
export type NotCompleted =
  | JobFailure
  | { readonly kind: 'retry-scheduled'; readonly delayMs: number; readonly nextRetryCount: number; readonly error: unknown };

/** The result of one execution through the pipeline. */
export type Outcome = Result<Completion, NotCompleted>;
