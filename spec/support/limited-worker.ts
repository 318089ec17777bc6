// A worker in a child process whose LimitedJob has a rate limit or a cap across processes, for the limit specs:
// each run appends `S <start ms> <pid> <occurrence> <key> <retry>` to `runsFile`, sleeps `runMs` (or its data's
// `runMs`), fails its first attempt with `failFirst`, and appends `E <end ms> <pid> <occurrence> <retry>`.
// Configured by one JSON argument; prints `READY <instanceId>` once consuming and `STOPPED` after a graceful stop.
import { appendFileSync } from 'node:fs';
import { defineJob, type RateLimit } from '../../lib/index.ts';
import { createAmqpWorker } from '../../lib/amqp.ts';
import { serveChildWorker } from './serve-child-worker.ts';

interface ChildConfig {
  readonly url: string;
  readonly workerId: string;
  readonly outboxDir: string;
  readonly runsFile: string;
  readonly rateLimit?: RateLimit;
  readonly maxParallelJobsGlobal?: number;
  readonly failFirst?: boolean;
  readonly redis?: string;
  readonly runMs?: number;
  readonly maxParallelJobs?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;

const limitedJob = defineJob({
  name: 'LimitedJob',
  maxParallelJobs: config.maxParallelJobs ?? 20,
  ...(config.rateLimit === undefined ? {} : { rateLimit: config.rateLimit }),
  ...(config.maxParallelJobsGlobal === undefined ? {} : { maxParallelJobsGlobal: config.maxParallelJobsGlobal }),
  baseRetryDelaySeconds: 1,
  async run(data, ctx) {
    const fields = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
    const { id, retryCount } = ctx.occurrence;
    appendFileSync(config.runsFile, `S ${Date.now()} ${process.pid} ${id} ${String(fields['tenant'] ?? '-')} ${retryCount}\n`);
    await new Promise((resolve) => setTimeout(resolve, Number(fields['runMs'] ?? config.runMs ?? 5)));
    appendFileSync(config.runsFile, `E ${Date.now()} ${process.pid} ${id} ${retryCount}\n`);
    if (config.failFirst === true && retryCount === 0) throw new Error('the first attempt fails');
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

await serveChildWorker(worker);
