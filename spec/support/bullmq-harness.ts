// BullMQ on the local Redis for specs: queues under a name of this process (obliterated afterwards), workers
// and QueueEvents that are closed afterwards, and the report adapters made on them.
import { Queue, QueueEvents, Worker, type Processor, type WorkerOptions } from 'bullmq';
import { reportBullmq, type BullmqReport, type ReportBullmqOptions } from '../../lib/bullmq.ts';

/** The local Redis (never anything outside 127.0.0.0/8). */
const REDIS = { host: '127.0.0.1', port: 6379 } as const;

/** The BullMQ objects a spec made, closed and removed by `cleanup()`. */
export interface BullmqHarness {
  /** A new queue with a name no other spec (or run) uses. */
  queue(label: string): Queue;
  /** A worker of `queue`, running at once. */
  worker(queue: Queue, processor: Processor, options?: Omit<WorkerOptions, 'connection'>): Worker;
  /** The queue's QueueEvents, reading its stream from the start (a fresh queue's stream holds only this spec's events). */
  queueEvents(queue: Queue): Promise<QueueEvents>;
  /** reportBullmq(), closed first by cleanup(). */
  report(options: ReportBullmqOptions): BullmqReport;
  /** Closes adapters, workers and QueueEvents, obliterates and closes the queues. */
  cleanup(): Promise<void>;
}

let made = 0;

/** Creates the harness. */
export function bullmqHarness(): BullmqHarness {
  const queues: Queue[] = [];
  const others: (Worker | QueueEvents)[] = [];
  const reports: BullmqReport[] = [];
  return {
    queue(label) {
      const queue = new Queue(`spec-bullmq-${process.pid}-${++made}-${label}`, { connection: REDIS });
      queues.push(queue);
      return queue;
    },
    worker(queue, processor, options = {}) {
      const worker = new Worker(queue.name, processor, { ...options, connection: REDIS });
      others.push(worker);
      return worker;
    },
    async queueEvents(queue) {
      const events = new QueueEvents(queue.name, { connection: REDIS, lastEventId: '0-0' });
      others.push(events);
      await events.waitUntilReady();
      return events;
    },
    report(options) {
      const report = reportBullmq(options);
      reports.push(report);
      return report;
    },
    async cleanup() {
      await Promise.all(reports.splice(0).map((r) => r.close()));
      await Promise.all(others.splice(0).map((o) => o.close()));
      for (const queue of queues.splice(0)) {
        await queue.obliterate({ force: true });
        await queue.close();
      }
    },
  };
}
