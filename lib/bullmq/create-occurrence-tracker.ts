// The attempts of a BullMQ job as one Milvaion occurrence (externalOccurrenceId = the job id): a Starting for
// the first attempt only, nothing for a failed attempt with attempts left, one end for the last attempt. The
// events of one job are reported in the order they happened; those of different jobs do not wait for each other.
import { createFinishedOccurrences } from '../core/engine/create-finished-occurrences.js';
import { errorMessage } from '../core/util/error-message.js';
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import type { ExternalReporter } from '../external/external-types.js';
import type { DefinitionSync } from './create-definition-sync.js';
import { isFirstAttempt, toExternalEnd, toOccurrenceRef, type JobEnd, type JobView } from './to-external.js';

/** Options of createOccurrenceTracker(). */
export interface OccurrenceTrackerOptions {
  readonly queueName: string;
  readonly reporter: Pick<ExternalReporter, 'starting' | 'finished'>;
  readonly definitions: Pick<DefinitionSync, 'ensure'>;
  readonly logger: TechnicalLogger;
  /** How many job ids it remembers having started and ended (default 20 000). */
  readonly memory?: number | undefined;
}

/** The tracker the event listeners feed. */
export interface OccurrenceTracker {
  /** Runs `task` after the earlier tasks of job `jobId`; a failure is logged (naming `what`), never thrown. */
  inOrder(jobId: string, what: string, task: () => Promise<void>): void;
  /** An attempt of `job` started: the Starting of its occurrence when it is the first (once per job id). */
  start(job: JobView): Promise<void>;
  /** `job` reached its final state: the end of its occurrence (once per job id and finishedOn). */
  end(job: JobView, end: JobEnd): Promise<void>;
  /** Resolves when every task queued so far has run. */
  idle(): Promise<void>;
}

/** Creates the tracker of a queue's occurrences. */
export function createOccurrenceTracker(options: OccurrenceTrackerOptions): OccurrenceTracker {
  const { queueName, reporter, definitions, logger } = options;
  const max = options.memory ?? 20_000;
  // Job ids whose Starting was sent: a second one (the other listener, a stalled attempt) is never sent.
  const started = createFinishedOccurrences({ max });
  const ended = createFinishedOccurrences({ max });
  const chains = new Map<string, Promise<void>>();

  return {
    inOrder(jobId, what, task) {
      const next = (chains.get(jobId) ?? Promise.resolve())
        .then(task)
        .catch((error: unknown) => logger.warn(`BullMQ ${what} of job ${jobId} on queue ${queueName} not reported: ${errorMessage(error)}`));
      chains.set(jobId, next);
      void next.then(() => {
        if (chains.get(jobId) === next) chains.delete(jobId);
      });
    },

    async start(job) {
      const id = job.id;
      if (id === undefined || started.has(id)) return;
      if (!isFirstAttempt(job)) {
        logger.debug(`BullMQ job ${id} on queue ${queueName} started attempt ${job.attemptsMade + 1}: its occurrence started before`);
        return;
      }
      await definitions.ensure(job); // Milvaion drops the events of a job it does not know yet
      started.add(id); // before the send: a Starting that might have gone out is never sent again
      const scheduledFireTime = job.timestamp + (job.delay ?? 0);
      await reporter.starting({ ...toOccurrenceRef(queueName, { ...job, id }), startTime: job.processedOn ?? undefined, scheduledFireTime });
    },

    async end(job, end) {
      const id = job.id;
      if (id === undefined) return;
      const key = `${id}\0${job.finishedOn ?? end.endTime ?? ''}`;
      if (ended.has(key)) return;
      ended.add(key);
      await reporter.finished(toExternalEnd(toOccurrenceRef(queueName, { ...job, id }), job, end));
    },

    async idle() {
      while (chains.size > 0) await Promise.all(chains.values());
    },
  };
}
