// The event listeners that feed the occurrence tracker: a BullMQ Worker's (in-process) and a queue's
// QueueEvents' (every worker, through a Redis stream).
import type { EventEmitter } from 'node:events';
import type { Job, Queue, QueueEvents, Worker } from 'bullmq';
import type { OccurrenceTracker } from './create-occurrence-tracker.js';
import { isFinalFailure, toJobError, toJobView, type JobView } from './to-external.js';

// Adding a set of listeners to an event emitter (a BullMQ Worker or QueueEvents) and removing exactly those.
/** Adds each listener to `emitter` under its event name; returns the function that removes them all. */
function listenTo(emitter: EventEmitter, listeners: Readonly<Record<string, (...args: never[]) => void>>): () => void {
  const entries = Object.entries(listeners) as [string, (...args: unknown[]) => void][];
  for (const [event, listener] of entries) emitter.on(event, listener);
  return () => {
    for (const [event, listener] of entries) emitter.off(event, listener);
  };
}

// Reports a queue's jobs from a BullMQ Worker's events, in the process that runs them. The events are
// in-process only: jobs that other processes run are not seen here (give reportBullmq() a QueueEvents).
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

// Reports a queue's jobs from its QueueEvents, wherever its workers run: each event carries a job id, and the
// job is read back (`queue.getJob`) for its name, times, attempts and stack. QueueEvents reads a Redis stream
// that is trimmed by length: events that were trimmed before they were read, or that came while no reader
// listened, are not seen. A job removed before it is read back (removeOnComplete) is reported from what the
// adapter kept of its start, with the event's time as its end.
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
