// Maps an outcome to Milvaion's final status message (protocol §2.2): exactly one terminal status per occurrence.
import { formatException } from './format-exception.js';
import { JobStatus, type JobEnvelope } from './types.js';
import { type Outcome } from './outcome.js';
import { type StatusRecord } from './ports.js';

/** An error that stands for job data the schema rejected (a permanent failure). */
export class InvalidJobDataError extends Error {
  override readonly name = 'InvalidJobDataError';
}

function invalidDataError(jobName: string, issues: readonly string[]): InvalidJobDataError {
  const error = new InvalidJobDataError(`Invalid job data for ${jobName}: ${issues.join('; ')}`);
  error.stack = `${error.name}: ${error.message}`; // no frames: where the runtime noticed it is not useful
  return error;
}

/** Seconds for messages: whole when whole, else up to milliseconds. */
export function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/** Turns a job's returned value into the protocol's Result string. */
export function toResultString(result: unknown, jobName: string): string {
  if (result === undefined || result === null) return `Job ${jobName} completed successfully`;
  if (typeof result === 'string') return result;
  try {
    return JSON.stringify(result) ?? String(result);
  } catch {
    return String(result);
  }
}

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
        exception: formatException(invalidDataError(jobName, f.issues)),
      };
    case 'unknown-job':
      return { status: JobStatus.Failed, result: null, exception: `No job registered for type: ${f.jobName}` };
    case 'retry-scheduled':
      return null;
    default:
      return f satisfies never;
  }
}

/** Builds the final status record of an occurrence, or null when a retry was scheduled instead. */
export function toStatusRecord(
  outcome: Outcome,
  envelope: JobEnvelope,
  times: { startTime: number; endTime: number },
): StatusRecord | null {
  const fields = toFinalFields(outcome, envelope.jobName);
  if (fields === null) return null;
  return {
    type: 'status',
    occurrenceId: envelope.occurrenceId,
    correlationId: envelope.correlationId,
    jobId: envelope.jobId,
    jobName: envelope.jobName,
    phase: 'final',
    startTime: times.startTime,
    endTime: times.endTime,
    durationMs: Math.max(0, Math.round(times.endTime - times.startTime)),
    timestamp: times.endTime,
    ...fields,
  };
}

/** Whether an outcome means "this occurrence is over and will not be tried again here". */
export function isFinal(outcome: Outcome): boolean {
  return outcome.isOk() || outcome.error.kind !== 'retry-scheduled';
}
