// A worker in a child process whose LimitedJob has a rate limit, for the rate-limit specs: each run appends
// `<start ms> <pid> <occurrence> <key>` to `runsFile`, then sleeps `runMs`. Configured by one JSON argument; prints
// `READY <instanceId>` once consuming and `STOPPED` after a graceful stop.
import { appendFileSync } from 'node:fs';
import { defineJob, type RateLimit } from '../../lib/index.ts';
import { createAmqpWorker } from '../../lib/amqp.ts';

interface ChildConfig {
  readonly url: string;
  readonly workerId: string;
  readonly outboxDir: string;
  readonly runsFile: string;
  readonly rateLimit: RateLimit;
  readonly redis?: string;
  readonly runMs?: number;
  readonly maxParallelJobs?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;

const limitedJob = defineJob({
  name: 'LimitedJob',
  maxParallelJobs: config.maxParallelJobs ?? 20,
  rateLimit: config.rateLimit,
  async run(data, ctx) {
    const key = typeof data === 'object' && data !== null ? String((data as Record<string, unknown>)['tenant'] ?? '-') : '-';
    appendFileSync(config.runsFile, `${Date.now()} ${process.pid} ${ctx.occurrence.id} ${key}\n`);
    await new Promise((resolve) => setTimeout(resolve, config.runMs ?? 5));
    return 'ran';
  },
});

const worker = createAmqpWorker({
  workerId: config.workerId,
  rabbitmq: { url: config.url, retryLowMs: 100, retryHighMs: 500 },
  jobs: [limitedJob],
  outbox: { localStoragePath: config.outboxDir, syncIntervalSeconds: 1 },
  heartbeatIntervalSeconds: 1,
  redis: config.redis === undefined ? false : { connectionString: config.redis },
  sharedOccurrenceRecords: false,
});

process.once('SIGTERM', () => {
  void worker.close({ graceMs: 5000, drainMs: 5000 }).then(() => {
    process.stdout.write('STOPPED\n');
    process.exit(0);
  });
});

await worker.start();
process.stdout.write(`READY ${worker.identity.instanceId}\n`);
