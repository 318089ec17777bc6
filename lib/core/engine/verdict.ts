// What a verdict is made of (see to-verdict.ts, which decides every verdict): its shape, the metric labels, the
// fates shared by several outcomes, and the helpers that build a dead letter's fate and a log line lazily.
import type { DeadLetterReason } from '../vocabulary/ports.js';
import type { DeliveryFate, DlqFailureType } from '../vocabulary/delivery-fate.js';
import type { Completion, NotCompleted } from '../vocabulary/outcome.js';
import type { JobStatus } from '../vocabulary/types.js';

/** The `outcome` label values of `milvaion_worker_jobs_total`, one per outcome kind. */
export const OUTCOME_LABELS = ['completed', 'failed', 'cancelled', 'timed_out', 'invalid_data', 'unknown_job', 'skipped', 'retry_scheduled', 'crash_looped'] as const;
/** One of {@link OUTCOME_LABELS}. */
export type OutcomeLabel = (typeof OUTCOME_LABELS)[number];

/** A verdict's fate: never `reject`, which only a failed dead-letter publish leads to. */
export type VerdictFate = Exclude<DeliveryFate, { readonly kind: 'reject' }>;

/** The technical log line of an execution's end. */
export interface VerdictLog {
  readonly level: 'info' | 'warn' | 'error';
  /** The line, given who ran (`<job> <occurrence>`) and how long it took (`in 12.3 ms`). */
  text(who: string, took: string): string;
  /** What follows the text in the logger call (the error of a failure). */
  readonly args: readonly unknown[];
}

/** A span's error status: its message, and the exception to record when there is one. */
interface SpanError {
  readonly message: string;
  readonly cause?: unknown;
}

/** Everything an outcome means; its texts are computed when read, so a reader of the label pays for no string. */
export interface Verdict {
  /** Milvaion's final status; null for a scheduled retry (no status between attempts). */
  readonly status: JobStatus | null;
  readonly result: string | null;
  readonly exception: string | null;
  readonly fate: VerdictFate;
  /** The `outcome` label of the jobs metric. */
  readonly label: OutcomeLabel;
  /** The `milvaion.outcome` span attribute (the outcome's kind) and the span's error, null when the job did not fail. */
  readonly trace: { readonly outcome: Completion['kind'] | NotCompleted['kind']; readonly error: SpanError | null };
  readonly log: VerdictLog;
  /** The Warning line of the occurrence's own log for a cancel (the cancellation middleware writes it); null otherwise. */
  readonly notice: string | null;
}

export const ACK: VerdictFate = Object.freeze({ kind: 'ack' });
export const REQUEUE: VerdictFate = Object.freeze({ kind: 'requeue' });
const NO_ARGS: readonly unknown[] = Object.freeze([]);

/** What each dead-letter failure type counts as (the reason code, a metric label). */
const DEAD_LETTER_REASONS: Readonly<Record<DlqFailureType, DeadLetterReason>> = {
  MaxRetriesExceeded: 'retries-exhausted',
  PermanentFailure: 'permanent-failure',
  UnhandledException: 'unhandled-failure',
  InvalidJobData: 'invalid-data',
  UnknownJob: 'unknown-job',
  WorkerCrash: 'crash-loop',
};

/** A dead letter's fate; `exception` is read when the DlqJobMessage is built. */
export function deadLetter(failureType: DlqFailureType, exception: () => string, retryCountHeader: number, maxRetriesHeader: number): VerdictFate {
  return {
    kind: 'dead-letter',
    reason: DEAD_LETTER_REASONS[failureType],
    failureType,
    get exception() {
      return exception();
    },
    retryCountHeader,
    maxRetriesHeader,
  };
}

/** A log line whose text is built only when the logger writes it. */
export function log(level: VerdictLog['level'], text: (who: string, took: string) => string, args: readonly unknown[] = NO_ARGS): VerdictLog {
  return { level, text, args };
}

