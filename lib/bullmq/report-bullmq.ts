// reportBullmq(): a BullMQ queue's jobs in Milvaion's dashboard, as external jobs (like Hangfire's and Quartz's
// with Milvaion's .NET packages). It only watches: BullMQ keeps scheduling and running its jobs.
import * as v from 'valibot';
import type { Queue, QueueEvents, Worker } from 'bullmq';
import { silentLogger } from '../create-logger.js';
import { parseOptions } from '../core/util/parse-options.js';
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import type { ExternalReporter } from '../external/external-types.js';
import { createDefinitionSync } from './create-definition-sync.js';
import { createOccurrenceTracker } from './create-occurrence-tracker.js';
import { listenQueueEvents, listenWorker } from './listen-events.js';

/** Options of reportBullmq(). */
export interface ReportBullmqOptions {
  /** The queue whose job schedulers and jobs are reported; it also reads jobs back (`getJob`). */
  readonly queue: Queue;
  /** A Worker of this queue in this process: its events report the jobs it runs. */
  readonly worker?: Worker | undefined;
  /** The queue's QueueEvents: they report the jobs that workers anywhere run. */
  readonly queueEvents?: QueueEvents | undefined;
  /** Where the reports go (createExternalReporter() from `milvaion-worker/external`); started and closed by you. */
  readonly reporter: ExternalReporter;
  /** Milliseconds between two reads of the queue's job schedulers (default 30 000). */
  readonly syncIntervalMs?: number | undefined;
  /** Where the adapter says what it could not report (default: nowhere). */
  readonly logger?: TechnicalLogger | undefined;
}

/** The running adapter. */
export interface BullmqReport {
  /** Reads the job schedulers now and registers what changed (as the periodic sync does). */
  sync(): Promise<void>;
  /** Removes its listeners and timer and waits for the reports under way; closes no queue, worker or reporter. */
  close(): Promise<void>;
}

/** The options that are values (the others are checked by their types). */
const OptionsSchema = v.object({
  syncIntervalMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2_147_483_647)), 30_000),
});

/**
 * Reports a BullMQ queue to Milvaion through an external reporter, and keeps reporting until closed:
 *
 * - its job schedulers (on BullMQ 5 also its legacy repeatable jobs) as job definitions, with the cron pattern and the next run;
 *   read again every `syncIntervalMs`, and only what changed is registered again (a removed one as inactive);
 * - the name of a job no scheduler made, as a definition of its own (`{queue}:{name}`), when first seen;
 * - each job as one occurrence (`externalOccurrenceId` = the job id): Starting when its first attempt starts,
 *   then Completed (the return value as JSON) or Failed (the failed reason and stack) after its last attempt.
 *   A failed attempt with attempts left sends nothing.
 *
 * The events come from `worker` (in-process: only the jobs that Worker runs), from `queueEvents` (every worker,
 * through a Redis stream), or both (each event is reported once). What BullMQ cannot tell:
 *
 * - a job removed while it waits is not reported if it never started, and stays Running if it was between attempts;
 * - a job whose worker died is "stalled" and runs again: its occurrence shows Running (Unknown in Milvaion after
 *   its zombie check) until an attempt ends; one failed for stalling too often is reported Failed by the Worker
 *   given here that detects or takes it, or from `queueEvents`;
 * - QueueEvents are at most once: a Redis stream trimmed by length (`streams.events.maxLen`, ~10 000), read only
 *   while someone listens; an event missed there is not reported. With QueueEvents, whether an attempt is the
 *   first is read from the job when its `active` event is handled: a retry that has already started by then
 *   (no backoff, an attempt failing within milliseconds) leaves the job without its Starting;
 * - a Starting is sent only for an attempt that is surely the first, as Milvaion fails a whole batch of
 *   events on a repeated Starting: an adapter started while a job was between attempts reports only its end,
 *   and Milvaion drops an end whose Starting it never got;
 * - a job retried by hand (`job.retry()`) stays the same occurrence: its new end replaces the old one; a custom
 *   job id reused after its job was removed is the same occurrence too (the same CorrelationId).
 */
export function reportBullmq(options: ReportBullmqOptions): BullmqReport {
  const { queue, worker, queueEvents, reporter } = options;
  const { syncIntervalMs } = parseOptions('reportBullmq', OptionsSchema, { syncIntervalMs: options.syncIntervalMs });
  for (const [what, other] of [['worker', worker], ['queueEvents', queueEvents]] as const) {
    if (other !== undefined && other.name !== queue.name) throw new TypeError(`Invalid options for reportBullmq: ${what} is of queue "${other.name}", not "${queue.name}"`);
  }
  const logger = options.logger ?? silentLogger;
  const definitions = createDefinitionSync({ queue, reporter, intervalMs: syncIntervalMs, logger });
  const tracker = createOccurrenceTracker({ queueName: queue.name, reporter, definitions, logger });
  const stops = [worker && listenWorker(worker, queue, tracker), queueEvents && listenQueueEvents(queueEvents, queue, tracker)];
  let closing: Promise<void> | undefined;
  return {
    sync: () => definitions.sync(),
    close() {
      closing ??= (async () => {
        for (const stop of stops) stop?.();
        await definitions.close();
        await tracker.idle();
      })();
      return closing;
    },
  };
}
