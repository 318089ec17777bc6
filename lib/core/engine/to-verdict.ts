// What an outcome means, decided once: Milvaion's status and texts (protocol §2.2), the delivery's fate (§1.5, §2.7),
// the metric label, the span, the log lines. The executor, sources, handler and middleware all read it here.
import type { DeadLetterReason } from '../vocabulary/ports.js';
import type { DeliveryFate, DlqFailureType } from '../vocabulary/delivery-fate.js';
import { errorMessage } from '../util/error-message.js';
import { formatException } from './format-exception.js';
import { toInvalidJobDataError } from '../vocabulary/invalid-job-data-error.js';
import type { Completion, NotCompleted, Outcome } from '../vocabulary/outcome.js';
import { seconds } from '../util/seconds.js';
import { toResultString } from './to-result-string.js';
import { JobStatus, type JobEnvelope } from '../vocabulary/types.js';

/** The `outcome` label values of `milvaion_worker_jobs_total`, one per outcome kind. */
export const OUTCOME_LABELS = ['completed', 'failed', 'cancelled', 'timed_out', 'invalid_data', 'unknown_job', 'skipped', 'retry_scheduled', 'crash_looped'] as const;
/** One of {@link OUTCOME_LABELS}. */
export type OutcomeLabel = (typeof OUTCOME_LABELS)[number];

/** A verdict's fate: never `reject`, which only a failed dead-letter publish leads to. */
type VerdictFate = Exclude<DeliveryFate, { readonly kind: 'reject' }>;

/** The technical log line of an execution's end. */
interface VerdictLog {
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

const ACK: VerdictFate = Object.freeze({ kind: 'ack' });
const REQUEUE: VerdictFate = Object.freeze({ kind: 'requeue' });
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
function deadLetter(failureType: DlqFailureType, exception: () => string, retryCountHeader: number, maxRetriesHeader: number): VerdictFate {
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
function log(level: VerdictLog['level'], text: (who: string, took: string) => string, args: readonly unknown[] = NO_ARGS): VerdictLog {
  return { level, text, args };
}

/**
 * Decides what an outcome means for the occurrence of `envelope` (its job name and attempt) under a job with
 * `maxRetries`: completed, skipped, timed out and a user's cancel are acked; a scheduled retry is republished
 * with a delay and has no status; exhausted retries, permanent errors, invalid data and unknown jobs are
 * dead-lettered; a job interrupted by this worker's shutdown goes back to the queue.
 */
export function toVerdict(outcome: Outcome, envelope: Pick<JobEnvelope, 'jobName' | 'retryCount'>, maxRetries: number): Verdict {
  const { jobName, retryCount } = envelope;
  if (outcome.isOk()) {
    const c = outcome.value;
    if (c.kind === 'completed') {
      return {
        status: JobStatus.Completed,
        get result() {
          return toResultString(c.result, jobName);
        },
        exception: null,
        fate: ACK,
        label: 'completed',
        trace: { outcome: 'completed', error: null },
        log: log('info', (who, took) => `Job completed: ${who} ${took}`),
        notice: null,
      };
    }
    return {
      status: JobStatus.Cancelled,
      get result() {
        return `Job skipped: ${c.reason}`;
      },
      exception: null,
      fate: ACK,
      label: 'skipped',
      trace: { outcome: 'skipped', error: null },
      log: log('info', (who) => `Job skipped (${c.reason}): ${who}`),
      notice: null,
    };
  }
  const f = outcome.error;
  switch (f.kind) {
    case 'failed': {
      const exhausted = f.retriesExhausted;
      const text = (): string => formatException(f.error);
      const exception = exhausted === undefined ? text : () => `Max retries (${exhausted}) exceeded. Original exception: ${text()}`;
      return {
        status: JobStatus.Failed,
        result: null,
        get exception() {
          return exception();
        },
        fate:
          exhausted !== undefined
            ? deadLetter('MaxRetriesExceeded', exception, exhausted, exhausted)
            : f.permanent
              ? deadLetter('PermanentFailure', () => `[PERMANENT FAILURE] ${text()}`, retryCount, 0)
              : // A transient failure that no retry middleware handled: dead-letter it rather than loop.
                deadLetter('UnhandledException', text, retryCount, maxRetries),
        label: 'failed',
        trace: {
          outcome: 'failed',
          get error() {
            return { message: errorMessage(f.error), cause: f.error };
          },
        },
        log: log(
          'error',
          (who, took) => `Job failed${f.permanent ? ' permanently' : ''}${exhausted !== undefined ? ` after ${exhausted} retries` : ''}: ${who} ${took}`,
          [f.error],
        ),
        notice: null,
      };
    }
    case 'timed-out':
      return {
        status: JobStatus.TimedOut,
        result: null,
        get exception() {
          return `Job execution exceeded maximum timeout of ${seconds(f.timeoutMs)} seconds (${Math.round(f.elapsedMs)}ms elapsed)`;
        },
        fate: ACK,
        label: 'timed_out',
        trace: {
          outcome: 'timed-out',
          get error() {
            return { message: `Timed out after ${f.timeoutMs} ms` };
          },
        },
        log: log('warn', (who) => `Job timed out after ${f.timeoutMs} ms: ${who}`),
        notice: null,
      };
    case 'cancelled':
      return {
        status: JobStatus.Cancelled,
        get result() {
          return `Job cancelled by user or system: ${f.reason}`;
        },
        exception: null,
        // Shutdown is not a cancel: the job did not run to its end, so another worker (or this one after a
        // restart) takes it again. A user's cancel is final.
        fate: f.source === 'shutdown' ? REQUEUE : ACK,
        label: 'cancelled',
        // Not an error of the job: the span's status stays UNSET.
        trace: { outcome: 'cancelled', error: null },
        log: log('warn', (who, took) => `Job cancelled (${f.source}: ${f.reason}): ${who} ${took}`),
        get notice() {
          return `Job execution was cancelled: ${f.reason}`;
        },
      };
    case 'invalid-data': {
      const error = () => toInvalidJobDataError(jobName, f.issues);
      return {
        status: JobStatus.Failed,
        result: null,
        get exception() {
          return formatException(error());
        },
        fate: deadLetter('InvalidJobData', () => `[PERMANENT FAILURE] ${error().message}`, retryCount, 0),
        label: 'invalid_data',
        trace: {
          outcome: 'invalid-data',
          get error() {
            return { message: `Invalid job data: ${f.issues.join('; ')}` };
          },
        },
        log: log('error', (who) => `Job data invalid: ${who}: ${f.issues.join('; ')}`),
        notice: null,
      };
    }
    case 'unknown-job': {
      // The status and the dead letter say `type: <name>`; the log line and the span, as they always have, `type <name>`.
      const unregistered = (colon: '' | ':') => `No job registered for type${colon} ${f.jobName}`;
      const exception = () => unregistered(':');
      return {
        status: JobStatus.Failed,
        result: null,
        get exception() {
          return exception();
        },
        fate: deadLetter('UnknownJob', exception, retryCount, 0),
        label: 'unknown_job',
        trace: {
          outcome: 'unknown-job',
          get error() {
            return { message: unregistered('') };
          },
        },
        log: log('error', (who) => `${unregistered('')}: ${who}`),
        notice: null,
      };
    }
    case 'crash-looped': {
      const exception = () =>
        `Not run again: ${f.crashes} deliveries of this occurrence ended with no outcome, its worker process gone while it ran (more than Worker:MaxCrashRedeliveries = ${f.limit})`;
      return {
        status: JobStatus.Failed,
        result: null,
        get exception() {
          return exception();
        },
        fate: deadLetter('WorkerCrash', exception, retryCount, 0),
        label: 'crash_looped',
        trace: {
          outcome: 'crash-looped',
          get error() {
            return { message: exception() };
          },
        },
        log: log('error', (who) => `${exception()}: ${who}`),
        notice: null,
      };
    }
    case 'retry-scheduled':
      return {
        status: null,
        result: null,
        exception: null,
        fate: { kind: 'retry', delayMs: f.delayMs, retryCount: f.nextRetryCount },
        label: 'retry_scheduled',
        trace: {
          outcome: 'retry-scheduled',
          get error() {
            return { message: errorMessage(f.error), cause: f.error };
          },
        },
        log: log('warn', (who) => `Job failed, retry ${f.nextRetryCount} scheduled in ${f.delayMs} ms: ${who}`),
        notice: null,
      };
    default:
      return f satisfies never;
  }
}
