// What an outcome means, decided once: Milvaion's status and texts (protocol §2.2), the delivery's fate (§1.5, §2.7),
// the metric label, the span, the log lines. The executor, sources, handler and middleware all read it here.
import { errorMessage } from '../util/error-message.js';
import { formatException } from './format-exception.js';
import { toInvalidJobDataError } from '../vocabulary/invalid-job-data-error.js';
import type { Outcome } from '../vocabulary/outcome.js';
import { seconds } from '../util/seconds.js';
import { toResultString } from './to-result-string.js';
import { JobStatus, type JobEnvelope } from '../vocabulary/types.js';
import { ACK, REQUEUE, deadLetter, log, type Verdict } from './verdict.js';

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
