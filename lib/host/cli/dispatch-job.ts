// `milvaion-worker dispatch`: publishes one job as the scheduler does and prints what the worker reports. It
// says where it goes before it connects, and it does not read the scheduler's queues when something already
// consumes them (a real scheduler is there): it exits 2 then, or with --force only dispatches.
import { Connection } from 'rabbitmq-client';
import { countQueueConsumers } from '../../scheduler-client/count-queue-consumers.js';
import { createSchedulerClient, type SchedulerClient } from '../../scheduler-client/create-scheduler-client.js';
import { MilvaionNames } from '../../transports/amqp/milvaion-names.js';
import { describeAmqpUrl, describeBrokers } from '../../transports/amqp/to-amqp-url.js';
import { toStatusLine } from './to-status-line.js';

/** The queues a scheduler consumes and `dispatch` would read. */
const SCHEDULER_QUEUES = [MilvaionNames.statusUpdatesQueue, MilvaionNames.workerLogsQueue, MilvaionNames.workerRegistrationQueue, MilvaionNames.workerHeartbeatQueue, MilvaionNames.failedOccurrencesQueue];

type Out = { log(line: string): void; error(line: string): void };

/** Options of {@link dispatchJob}. */
export interface DispatchJobOptions {
  /** The broker URL (from --url or the configuration). */
  readonly url: string;
  /** The brokers of a cluster (`Worker:RabbitMQ:Hosts`), tried in turn. */
  readonly hosts?: readonly string[] | undefined;
  readonly queueType?: 'Classic' | 'Quorum' | undefined;
  readonly jobName: string;
  readonly data: unknown;
  readonly workerId: string;
  readonly timeoutSeconds: number;
  /** Dispatch even where a scheduler consumes its queues (then nothing is read back). */
  readonly force: boolean;
  readonly out: Out;
}

/** Dispatches a job and streams its statuses and logs; resolves with the CLI exit code. */
export async function dispatchJob(options: DispatchJobOptions): Promise<number> {
  const { out, url } = options;
  const { vhost } = describeAmqpUrl(url);
  out.log(`Dispatching ${options.jobName} to WorkerId "${options.workerId}" on ${describeBrokers(url, options.hosts)} (vhost "${vhost}")`);
  const busy = await busyQueues(url, options.hosts);
  if (busy.length > 0 && !options.force) {
    out.error(`Something already consumes the scheduler's queues on this broker (${busy.join(', ')}): a Milvaion scheduler is likely running there, and dispatch would take its statuses and logs. Nothing was sent. Use its dashboard, another vhost, or --force to dispatch without reading anything back.`);
    return 2;
  }
  const scheduler = await createSchedulerClient({ url, hosts: options.hosts, queueType: options.queueType, purge: false, consume: busy.length === 0 });
  try {
    const job = await scheduler.dispatch({ jobName: options.jobName, workerId: options.workerId, data: options.data ?? {} });
    out.log(`Dispatched ${options.jobName} to ${job.routingKey}: occurrence ${job.occurrenceId}`);
    if (scheduler.returned().length > 0) {
      out.error(`No queue is bound to ${job.routingKey}: is a worker with WorkerId "${options.workerId}" and job ${options.jobName} running?`);
      return 3;
    }
    if (busy.length > 0) {
      out.log(`--force: not reading statuses or logs; the scheduler consuming ${busy.join(', ')} receives them`);
      return 0;
    }
    return await follow(scheduler, job.occurrenceId, options);
  } finally {
    await scheduler.close();
  }
}

/** The scheduler queues that have consumers, with their counts (`name (n consumers)`). */
async function busyQueues(url: string, hosts: readonly string[] | undefined): Promise<string[]> {
  const rabbit = new Connection({ url, ...(hosts === undefined ? {} : { hosts: [...hosts] }), connectionName: 'milvaion-worker dispatch (probe)', retryLow: 100, retryHigh: 1000, connectionTimeout: 10_000 });
  rabbit.on('error', () => undefined); // a refusal surfaces from acquire() below
  try {
    await rabbit.onConnect(10_000);
    const counts = await countQueueConsumers(rabbit, SCHEDULER_QUEUES);
    return [...counts].filter(([, n]) => n > 0).map(([queue, n]) => `${queue} (${n} consumer${n === 1 ? '' : 's'})`);
  } finally {
    await rabbit.close();
  }
}

/** Prints the occurrence's logs and statuses until its final status or the timeout. */
async function follow(scheduler: SchedulerClient, occurrenceId: string, options: DispatchJobOptions): Promise<number> {
  const { out } = options;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let shownStatuses = 0;
  let shownLogs = 0;
  // Statuses and logs arrive on two queues: each poll shows the new Running first, then the logs, then a final.
  const showLogs = () => {
    const logs = scheduler.logs(occurrenceId);
    for (const log of logs.slice(shownLogs)) {
      const l = (log.body?.Log ?? {}) as Record<string, unknown>;
      out.log(`  log ${String(l['Level']).padEnd(11)} ${String(l['Message'])}`);
    }
    shownLogs = logs.length;
  };
  for (;;) {
    const statuses = scheduler.statuses(occurrenceId).slice(shownStatuses).map((m) => toStatusLine(m.body ?? {}));
    const running = statuses.filter((s) => s.exitCode === undefined);
    for (const { line } of running) out.log(line);
    showLogs();
    const final = statuses.find((s) => s.exitCode !== undefined);
    if (final?.exitCode !== undefined) {
      // The logs queue may still hold lines sent before the final: collect them, so the final is the last line.
      // A timeout here costs only late log lines, never the final's exit code.
      await scheduler.waitForLogs({ timeoutMs: Math.max(deadline - Date.now(), 1_000) }).catch(() => undefined);
      showLogs();
      out.log(final.line);
      return final.exitCode;
    }
    shownStatuses += running.length;
    if (Date.now() > deadline) {
      out.error(`No final status within ${options.timeoutSeconds} s`);
      return 4;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
