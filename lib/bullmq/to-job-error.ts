// A failed job as an Error, rebuilt from what BullMQ keeps (its failed reason and the stacks of its failed
// attempts), for the QueueEvents path where the thrown error itself lives in another process.
import type { JobView } from './to-job-view.js';

/** The error of `job`'s final failure: its failedReason, with the last stack when that stack is of this failure. */
export function toJobError(job: Pick<JobView, 'failedReason' | 'stacktrace'>): Error {
  const error = new Error(job.failedReason ?? 'failed');
  const stack = job.stacktrace?.at(-1);
  const firstLine = stack?.split('\n', 1)[0] ?? '';
  // A job failed for stalling too often (or by a script) has no stack of its own: the last one is an earlier attempt's.
  if (stack === undefined || !firstLine.endsWith(error.message)) {
    error.stack = `Error: ${error.message}`;
    return error;
  }
  const name = /^([A-Za-z_$][\w$]*)(?::|$)/.exec(firstLine)?.[1];
  if (name !== undefined) error.name = name;
  error.stack = stack;
  return error;
}
