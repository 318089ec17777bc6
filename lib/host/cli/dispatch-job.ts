// `milvaion-worker dispatch`: publishes one job as the scheduler does and prints what the worker reports.
import { JobStatus } from '../../core/types.js';
import { createSchedulerClient, FINAL_STATUSES } from '../../scheduler-client/create-scheduler-client.js';
import { toAmqpUrl } from '../../transports/amqp/to-amqp-url.js';
import type { WorkerConfig } from '../config/worker-config.js';

const STATUS = Object.fromEntries(Object.entries(JobStatus).map(([name, value]) => [value, name]));

/** Dispatches a job and streams its statuses and logs; resolves with the CLI exit code. */
export async function dispatchJob(options: {
  config: WorkerConfig;
  jobName: string;
  data: unknown;
  workerId: string | undefined;
  timeoutSeconds: number;
  out: { log(line: string): void; error(line: string): void };
}): Promise<number> {
  const { config, out } = options;
  const r = config.worker.rabbitMq;
  const url = toAmqpUrl(r);
  const scheduler = await createSchedulerClient({ url, purge: false });
  try {
    const workerId = options.workerId ?? config.worker.workerId;
    const job = await scheduler.dispatch({ jobName: options.jobName, workerId, data: options.data ?? {} });
    out.log(`Dispatched ${options.jobName} to ${job.routingKey}: occurrence ${job.occurrenceId}`);
    if (scheduler.returned().length > 0) {
      out.error(`No queue is bound to ${job.routingKey}: is a worker with WorkerId "${workerId}" and job ${options.jobName} running?`);
      return 3;
    }
    const deadline = Date.now() + options.timeoutSeconds * 1000;
    let shownStatuses = 0;
    let shownLogs = 0;
    for (;;) {
      const statuses = scheduler.statuses(job.occurrenceId);
      const logs = scheduler.logs(job.occurrenceId);
      for (const log of logs.slice(shownLogs)) {
        const l = (log.body?.Log ?? {}) as Record<string, unknown>;
        out.log(`  log ${String(l['Level']).padEnd(11)} ${String(l['Message'])}`);
      }
      shownLogs = logs.length;
      for (const status of statuses.slice(shownStatuses)) {
        const b = status.body ?? {};
        const detail = b.Result ?? (b.Exception ? String(b.Exception).split('\n').slice(0, 2).join(' | ') : '');
        out.log(`  ${String(STATUS[b.Status ?? -1] ?? b.Status)} ${detail ?? ''}`.trimEnd());
        if (b.Status !== undefined && FINAL_STATUSES.has(b.Status)) return b.Status === JobStatus.Completed ? 0 : 3;
      }
      shownStatuses = statuses.length;
      if (Date.now() > deadline) {
        out.error(`No final status within ${options.timeoutSeconds} s`);
        return 4;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await scheduler.close();
  }
}
