// Whether an attempt that started is a job's first: only then is a Starting sent. Milvaion's tracker inserts an
// occurrence per Starting with the CorrelationId as its key, and a second Starting for the same job fails the
// whole batch it arrives in, so an attempt that might not be the first never sends one.
import type { JobView } from './to-job-view.js';

/**
 * True when `job` (read when an attempt started, or later: QueueEvents read it back) has started once only,
 * and no failure older than its counted attempts left a stack (a job retried by hand keeps its stacks).
 */
export function isFirstAttempt(job: JobView): boolean {
  const stacks = job.stacktrace?.length ?? 0;
  // attemptsStarted also counts an attempt that stalled (its worker died) and ran again.
  if ((job.attemptsStarted ?? 0) > 0) return job.attemptsStarted === 1 && stacks <= job.attemptsMade;
  // A BullMQ that does not count started attempts: only a job read before its first attempt ended is sure.
  return job.attemptsMade === 0 && stacks === 0;
}
