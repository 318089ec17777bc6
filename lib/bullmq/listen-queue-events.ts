// Reports a queue's jobs from its QueueEvents, wherever its workers run: each event carries a job id, and the
// job is read back (`queue.getJob`) for its name, times, attempts and stack. QueueEvents reads a Redis stream
// that is trimmed by length: events that were trimmed before they were read, or that came while no reader
// listened, are not seen. A job removed before it is read back (removeOnComplete) is reported from what the
// adapter kept of its start, with the event's time as its end.
import type { Queue, QueueEvents } from 'bullmq';
import type { OccurrenceTracker } from './create-occurrence-tracker.js';
import { listenTo } from './listen-to.js';
import { toJobError } from './to-job-error.js';
import { toJobView, type JobView } from './to-job-view.js';

/** How many started jobs are kept in case they are removed before they end. */
const KEPT = 10_000;

/** Listens to `queueEvents`' active, completed and failed events; returns the function that stops listening. */
export function listenQueueEvents(queueEvents: QueueEvents, queue: Pick<Queue, 'getJob'>, tracker: OccurrenceTracker): () => void {
  const kept = new Map<string, JobView>();
  const read = async (jobId: string): Promise<JobView | undefined> => {
    const job = await queue.getJob(jobId);
    return job === undefined ? kept.get(jobId) : toJobView(job);
  };

  const onActive = ({ jobId }: { jobId: string }) => {
    tracker.inOrder(jobId, 'start', async () => {
      const job = await queue.getJob(jobId);
      if (job === undefined) return; // removed already: nothing says which job it was
      const view = toJobView(job);
      kept.delete(jobId);
      kept.set(jobId, view);
      if (kept.size > KEPT) kept.delete(kept.keys().next().value!);
      await tracker.start(view);
    });
  };
  const onCompleted = ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }, eventId: string) => {
    tracker.inOrder(jobId, 'completion', async () => {
      const view = await read(jobId);
      kept.delete(jobId);
      if (view !== undefined) await tracker.end(view, { outcome: 'Completed', result: returnvalue, endTime: timeOf(eventId) });
    });
  };
  // The stream has a `failed` event only for a job's final failure: a retried attempt is `delayed` or `waiting`.
  const onFailed = ({ jobId, failedReason }: { jobId: string; failedReason: string }, eventId: string) => {
    tracker.inOrder(jobId, 'failure', async () => {
      const fetched = await read(jobId);
      kept.delete(jobId);
      if (fetched === undefined) return;
      const view: JobView = fetched.failedReason === failedReason ? fetched : { ...fetched, failedReason, stacktrace: null };
      await tracker.end(view, { outcome: 'Failed', error: toJobError(view), endTime: timeOf(eventId) });
    });
  };
  return listenTo(queueEvents, { active: onActive, completed: onCompleted, failed: onFailed });
}

/** The time a Redis stream entry was added, from its id (`{ms}-{seq}`). */
function timeOf(eventId: string): number | undefined {
  const ms = Number(eventId.split('-', 1)[0]);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
