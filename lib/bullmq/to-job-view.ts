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
