// The outcome of one execution through the pipeline: completed or skipped (the occurrence is over, nothing
// failed), a failure, or a retry deferred to the transport. Every switch over `kind` is exhaustive.
import type { Result } from 'neverthrow';
import type { AbortSource } from './job-abort-error.js';

/** The job ran to its end. */
export interface Completed {
  readonly kind: 'completed';
  readonly result: unknown;
}

/** A filter decided the job should not run: the occurrence ends without running (Milvaion: Cancelled). */
export interface Skipped {
  readonly kind: 'skipped';
  readonly reason: string;
}

/** The execution is over and nothing failed. */
export type Completion = Completed | Skipped;

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
  | { readonly kind: 'unknown-job'; readonly jobName: string };

/** The retry middleware's decision (scheduled mode) to run the occurrence again later: the transport carries it out, nothing waits in-process. */
export interface DeferredRetry {
  readonly kind: 'retry-scheduled';
  readonly delayMs: number;
  readonly nextRetryCount: number;
  readonly error: unknown;
}

/** What did not complete: a failure, or a retry deferred to the transport. */
export type NotCompleted = JobFailure | DeferredRetry;

/** The result of one execution through the pipeline. */
export type Outcome = Result<Completion, NotCompleted>;
