// What the adapter reads from a BullMQ job, and how that maps to Milvaion's external jobs: the job view, the
// definition (ExternalJobId, ExternalJob), the occurrence and its end, the error of a failure, and the two
// attempt rules (is a failure final, is a start the first). Pure: no I/O, no BullMQ value (its types only).
import { createHash } from 'node:crypto';
import type { JobSchedulerJson } from 'bullmq';
import type { ExternalEnd, ExternalJob, ExternalOccurrenceRef } from '../external/external-types.js';

// What the adapter reads from a BullMQ job, copied when an event arrives: the Worker goes on changing its Job
// object (the failed reason, the attempt counts) while the report of the event waits its turn.
/** The fields of a BullMQ `Job` the adapter reads; structural, so that BullMQ 5 and 6 fit, and plain objects too. */
export interface JobView {
  readonly id?: string | undefined;
  readonly name: string;
  /** Set on the jobs a job scheduler (or a legacy repeatable job) makes: the scheduler's key. */
  readonly repeatJobKey?: string | undefined;
  /** When the job was added (epoch ms). */
  readonly timestamp: number;
  /** The delay it was added with (ms). */
  readonly delay?: number | undefined;
  /** When the latest attempt started. */
  readonly processedOn?: number | null | undefined;
  /** When the job reached its final state (unset while attempts are left). */
  readonly finishedOn?: number | null | undefined;
  /** Attempts that ended. */
  readonly attemptsMade: number;
  /** Attempts that started (a stalled attempt that runs again counts twice); 0 where BullMQ does not count them. */
  readonly attemptsStarted?: number | undefined;
  readonly opts: { readonly attempts?: number | undefined };
  readonly failedReason?: string | null | undefined;
  /** One stack per failed attempt, oldest first (as many as `stackTraceLimit` keeps). */
  readonly stacktrace?: readonly string[] | null | undefined;
  readonly returnvalue?: unknown;
}

/** Copies the fields the adapter reads from a BullMQ `Job` (or anything shaped like one). */
export function toJobView(job: JobView): JobView {
  return {
    id: job.id,
    name: job.name,
    repeatJobKey: job.repeatJobKey,
    timestamp: job.timestamp,
    delay: job.delay,
    processedOn: job.processedOn,
    finishedOn: job.finishedOn,
    attemptsMade: job.attemptsMade,
    attemptsStarted: job.attemptsStarted,
    opts: { attempts: job.opts.attempts },
    failedReason: job.failedReason,
    stacktrace: job.stacktrace === null || job.stacktrace === undefined ? job.stacktrace : [...job.stacktrace],
    returnvalue: job.returnvalue,
  };
}

// The ExternalJobId of a BullMQ job definition: `{queue}:{scheduler key}` or `{queue}:{job name}`. Milvaion
// stores it as the job's JobNameInWorker (at most 200 characters), so a longer one is shortened with a hash.
/** The longest ExternalJobId Milvaion stores (`ScheduledJob.JobNameInWorker`). */
export const MAX_EXTERNAL_JOB_ID = 200;

/** The ExternalJobId of `key` (a scheduler key or a job name) on the queue `queueName`; at most 200 characters. */
export function toExternalJobId(queueName: string, key: string): string {
  const id = `${queueName}:${key}`;
  if (id.length <= MAX_EXTERNAL_JOB_ID) return id;
  // A longer id would fail the scheduler's insert and, with it, the whole registration batch it came in.
  const hash = createHash('sha1').update(id).digest('hex').slice(0, 16);
  return `${id.slice(0, MAX_EXTERNAL_JOB_ID - hash.length - 1)}~${hash}`;
}

// A BullMQ job definition as Milvaion's external job (`ExternalJobRegistrationMessage`): a job scheduler (or a
// legacy repeatable job) with its cron pattern and next run, or a job name seen on jobs added one by one.
/** What a definition comes from: a job scheduler, or the name of jobs that no scheduler made. */
export type DefinitionSource = { readonly scheduler: JobSchedulerJson } | { readonly jobName: string };

/** Maps a job scheduler or a job name on the queue `queueName` to the definition Milvaion registers. */
export function toExternalJob(queueName: string, from: DefinitionSource): ExternalJob {
  const tags = ['bullmq', `queue:${queueName}`];
  if ('jobName' in from) {
    return {
      externalJobId: toExternalJobId(queueName, from.jobName),
      displayName: from.jobName,
      description: `BullMQ jobs named "${from.jobName}" on queue "${queueName}", added one by one`,
      jobTypeName: from.jobName,
      tags,
    };
  }
  const s = from.scheduler;
  return {
    externalJobId: toExternalJobId(queueName, s.key),
    displayName: s.key,
    description: `BullMQ job scheduler "${s.key}" on queue "${queueName}": ${toScheduleText(s)}`,
    jobTypeName: s.name,
    cronExpression: s.pattern ?? undefined,
    nextExecuteAt: s.next ?? undefined,
    jobData: s.template?.data,
    tags: [...tags, 'scheduler'],
  };
}

/** The schedule in words, with what Milvaion's cron field cannot hold (the time zone, `every`, limits). */
function toScheduleText(s: JobSchedulerJson): string {
  const parts = [s.pattern !== undefined && s.pattern !== null ? `cron "${s.pattern}"` : s.every !== undefined ? `every ${s.every} ms` : 'no schedule'];
  if (s.tz !== undefined && s.tz !== null) parts.push(`time zone ${s.tz}`);
  if (s.limit !== undefined) parts.push(`at most ${s.limit} runs`);
  if (s.endDate !== undefined) parts.push(`until ${new Date(s.endDate).toISOString()}`);
  return parts.join(', ');
}

// Which Milvaion occurrence a BullMQ job is: one per job id, under its scheduler's definition when a job
// scheduler made it, else under its name's.
/** The occurrence of `job` (all its attempts) on the queue `queueName`. */
export function toOccurrenceRef(queueName: string, job: JobView & { readonly id: string }): ExternalOccurrenceRef {
  return {
    externalJobId: toExternalJobId(queueName, job.repeatJobKey ?? job.name),
    externalOccurrenceId: job.id,
    jobTypeName: job.name,
  };
}

// A BullMQ job's final state as the end of its Milvaion occurrence: the last attempt's start and end, its
// duration, the return value as JSON (Completed) or the error (Failed).
/** How a job ended, as its event tells it. */
export type JobEnd =
  | { readonly outcome: 'Completed'; readonly result: unknown; readonly endTime?: number | undefined }
  | { readonly outcome: 'Failed'; readonly error: unknown; readonly endTime?: number | undefined };

/** The end of `job`'s occurrence; `end.endTime` stands in when BullMQ's finishedOn is not known (a removed job). */
export function toExternalEnd(ref: ExternalOccurrenceRef, job: JobView, end: JobEnd): ExternalEnd {
  const startTime = job.processedOn ?? undefined;
  const endTime = job.finishedOn ?? end.endTime;
  const durationMs = startTime !== undefined && endTime !== undefined ? Math.max(0, endTime - startTime) : undefined;
  const base = { ...ref, startTime, endTime, durationMs };
  return end.outcome === 'Completed' ? { ...base, outcome: 'Completed', result: toResultJson(end.result) } : { ...base, outcome: 'Failed', exception: end.error };
}

/** The return value as JSON text (a string too, quoted); nothing for undefined or null. */
function toResultJson(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  try {
    return JSON.stringify(value) ?? undefined;
  } catch {
    return String(value);
  }
}

// A failed job as an Error, rebuilt from what BullMQ keeps (its failed reason and the stacks of its failed
// attempts), for the QueueEvents path where the thrown error itself lives in another process.
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

// Whether a Worker's `failed` event ends the job: BullMQ emits it for every failed attempt, and a job with
// attempts left is retried (Milvaion hears nothing until the last attempt ends).
/** True when the failed attempt was the job's last: BullMQ set its finishedOn, its attempts are used up, or the error is unrecoverable. */
export function isFinalFailure(job: JobView, error: unknown): boolean {
  if (job.finishedOn !== undefined && job.finishedOn !== null) return true;
  if (job.attemptsMade >= Math.max(1, job.opts.attempts ?? 1)) return true;
  return error instanceof Error && error.name === 'UnrecoverableError';
}

// Whether an attempt that started is a job's first: only then is a Starting sent. Milvaion's tracker inserts an
// occurrence per Starting with the CorrelationId as its key, and a second Starting for the same job fails the
// whole batch it arrives in, so an attempt that might not be the first never sends one.
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
