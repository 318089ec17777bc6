// Reports a queue's jobs from a BullMQ Worker's events, in the process that runs them. The events are
// in-process only: jobs that other processes run are not seen here (give reportBullmq() a QueueEvents).
import type { Job, Queue, Worker } from 'bullmq';
import type { OccurrenceTracker } from './create-occurrence-tracker.js';
import { isFinalFailure } from './is-final-failure.js';
import { listenTo } from './listen-to.js';
import { toJobError } from './to-job-error.js';
import { toJobView } from './to-job-view.js';

/** Listens to `worker`'s active, completed, failed and stalled events; returns the function that stops listening. */
export function listenWorker(worker: Worker, queue: Pick<Queue, 'getJob'>, tracker: OccurrenceTracker): () => void {
  const onActive = (job: Job) => {
    const view = toJobView(job); // copied now: the Worker changes its Job while this report waits
    if (view.id !== undefined) tracker.inOrder(view.id, 'start', () => tracker.start(view));
  };
  const onCompleted = (job: Job, result: unknown) => {
    const view = toJobView(job);
    if (view.id !== undefined) tracker.inOrder(view.id, 'completion', () => tracker.end(view, { outcome: 'Completed', result }));
  };
  const onFailed = (job: Job | undefined, error: Error) => {
    if (job?.id === undefined) return;
    const view = toJobView(job);
    // A failed attempt with attempts left is retried: nothing to report until the last one ends.
    if (isFinalFailure(view, error)) tracker.inOrder(job.id, 'failure', () => tracker.end(view, { outcome: 'Failed', error }));
  };
  // A job that stalled more often than maxStalledCount: BullMQ 5 fails it in a script (no `failed` event), BullMQ 6
  // when a worker takes it next (a `failed` event, also reported; the end is sent once).
  const onStalled = (jobId: string) => {
    tracker.inOrder(jobId, 'stalled failure', async () => {
      const job = await queue.getJob(jobId);
      if (job === undefined || job.finishedOn === undefined || job.finishedOn === null || !(await job.isFailed())) return;
      const view = toJobView(job);
      await tracker.end(view, { outcome: 'Failed', error: toJobError(view) });
    });
  };
  return listenTo(worker, { active: onActive, completed: onCompleted, failed: onFailed, stalled: onStalled });
}
