// A worker process for the redelivery specs: every run of a job is appended to a runs file (one line per run:
// job, occurrence, pid) before it does anything else, so a spec counts runs across processes and restarts.
// HoldJob runs for `holdMs`; PoisonJob SIGKILLs its own process; with `killAtAck` the process SIGKILLs itself at its first ack, after the
// job's final status is durable and shared: a crash between the finish and the ack. Prints READY once consuming.
import { appendFileSync } from 'node:fs';
import { createLogger, defineJob, type JobContext } from '../../lib/index.ts';
import { createAmqpWorker } from '../../lib/amqp.ts';

interface RedeliveryWorkerConfig {
  readonly url: string;
  readonly workerId: string;
  readonly outboxDir: string;
  readonly runsFile: string;
  /** A Redis connection string, or none (no shared records, no cancellation). */
  readonly redis?: string;
  readonly killAtAck?: boolean;
  readonly queueType?: 'Classic' | 'Quorum';
  readonly maxCrashRedeliveries?: number;
  /** How long HoldJob runs (default 8 s). */
  readonly holdMs?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as RedeliveryWorkerConfig;
const ran = (ctx: JobContext) => appendFileSync(config.runsFile, `${ctx.job.name} ${ctx.occurrence.id} ${process.pid}\n`);

const jobs = [
  defineJob({ name: 'ChargeJob', maxParallelJobs: 4, run: (_data, ctx) => (ran(ctx), 'charged') }),
  defineJob({ name: 'QuickJob', maxParallelJobs: 4, run: (_data, ctx) => (ran(ctx), 'quick') }),
  defineJob({
    name: 'HoldJob',
    maxParallelJobs: 4,
    async run(_data, ctx) {
      ran(ctx);
      await new Promise((resolve) => setTimeout(resolve, config.holdMs ?? 8000));
      return 'held';
    },
  }),
  defineJob({
    name: 'PoisonJob',
    maxParallelJobs: 4,
    run(_data, ctx) {
      ran(ctx);
      process.kill(process.pid, 'SIGKILL');
      return new Promise<never>(() => undefined);
    },
  }),
];

const worker = createAmqpWorker({
  workerId: config.workerId,
  rabbitmq: { url: config.url, retryLowMs: 100, retryHighMs: 500, ...(config.queueType === undefined ? {} : { queueType: config.queueType }) },
  jobs,
  outbox: { localStoragePath: config.outboxDir, syncIntervalSeconds: 1 },
  redis: config.redis === undefined ? false : { connectionString: config.redis },
  heartbeatIntervalSeconds: 1,
  startupTimeoutSeconds: 0,
  logger: createLogger({ level: 'info', format: 'text' }),
  ...(config.maxCrashRedeliveries === undefined ? {} : { maxCrashRedeliveries: config.maxCrashRedeliveries }),
});

process.once('SIGTERM', () => {
  void worker.close({ graceMs: 2000, drainMs: 5000 }).then(() => {
    process.stdout.write('STOPPED\n');
    process.exit(0);
  });
});

await worker.start();
if (config.killAtAck === true) {
  // The worker acks through Channel#basicAck (rabbitmq-client does not export the class): the process dies there,
  // its delivery unacked.
  const channel = await worker.connection.acquire();
  (Object.getPrototypeOf(channel) as { basicAck: () => void }).basicAck = () => process.kill(process.pid, 'SIGKILL');
  await channel.close();
}
process.stdout.write(`READY ${worker.identity.instanceId}\n`);
