// Maps an outcome to the status, result and exception text of Milvaion's final status (protocol §2.2).
import { formatException } from './format-exception.js';
import { toInvalidJobDataError } from './invalid-job-data-error.js';
import type { Outcome } from './outcome.js';
import type { StatusRecord } from './ports.js';
import { seconds } from './seconds.js';
import { toResultString } from './to-result-string.js';
import { JobStatus } from './types.js';

/** The status, result and exception text an outcome maps to; null for a scheduled retry (no status between attempts). */
export function toFinalFields(
  outcome: Outcome,
  jobName: string,
): { status: StatusRecord['status']; result: string | null; exception: string | null } | null {
  if (outcome.isOk()) {
    const c = outcome.value;
    return c.kind === 'completed'
      ? { status: JobStatus.Completed, result: toResultString(c.result, jobName), exception: null }
      : { status: JobStatus.Cancelled, result: `Job skipped: ${c.reason}`, exception: null };
  }
  const f = outcome.error;
  switch (f.kind) {
    case 'failed': {
      const text = formatException(f.error);
      const exception = f.retriesExhausted !== undefined ? `Max retries (${f.retriesExhausted}) exceeded. Original exception: ${text}` : text;
      return { status: JobStatus.Failed, result: null, exception };
    }
    case 'timed-out':
      return {
        status: JobStatus.TimedOut,
        result: null,
        exception: `Job execution exceeded maximum timeout of ${seconds(f.timeoutMs)} seconds (${Math.round(f.elapsedMs)}ms elapsed)`,
      };
    case 'cancelled':
      return { status: JobStatus.Cancelled, result: `Job cancelled by user or system: ${f.reason}`, exception: null };
    case 'invalid-data':
      return {
        status: JobStatus.Failed,
        result: null,
        exception: formatException(toInvalidJobDataError(jobName, f.issues)),
      };
    case 'unknown-job':
      return { status: JobStatus.Failed, result: null, exception: `No job registered for type: ${f.jobName}` };
    case 'retry-scheduled':
      return null;
    default:
      return f satisfies never;
  }
}
