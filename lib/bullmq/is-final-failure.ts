// Whether a Worker's `failed` event ends the job: BullMQ emits it for every failed attempt, and a job with
// attempts left is retried (Milvaion hears nothing until the last attempt ends).
import type { JobView } from './to-job-view.js';

/** True when the failed attempt was the job's last: BullMQ set its finishedOn, its attempts are used up, or the error is unrecoverable. */
export function isFinalFailure(job: JobView, error: unknown): boolean {
  if (job.finishedOn !== undefined && job.finishedOn !== null) return true;
  if (job.attemptsMade >= Math.max(1, job.opts.attempts ?? 1)) return true;
  return error instanceof Error && error.name === 'UnrecoverableError';
}
