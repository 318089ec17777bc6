// A worker in a child process, for specs that kill it (SIGKILL) or stop it (SIGTERM). Configured by one
// JSON argument; prints `READY <instanceId>` once consuming and `STOPPED` after a graceful stop.
import { defineJob } from '../../lib/index.ts';
import { createAmqpWorker } from '../../lib/amqp.ts';
import { serveChildWorker } from './serve-child-worker.ts';

interface ChildConfig {
  readonly url: string;
  readonly workerId: string;
  readonly outboxDir: string;
  /** Log lines per StepJob run, one every `stepMs`. */
  readonly steps?: number;
  readonly stepMs?: number;
  readonly maxParallelJobs?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const steps = config.steps ?? 10;
const stepMs = config.stepMs ?? 50;

const stepJob = defineJob({
  name: 'StepJob',
  maxParallelJobs: config.maxParallelJobs ?? 10,
  async run(_data, ctx) {
    for (let i = 0; i < steps; i++) {
      ctx.log.info(`step ${i}`, { step: i });
      await new Promise((resolve) => setTimeout(resolve, stepMs));
    }
    return `steps ${steps}`;
  },
});

const worker = createAmqpWorker({
  workerId: config.workerId,
  rabbitmq: { url: config.url, retryLowMs: 100, retryHighMs: 500 },
  jobs: [stepJob],
  outbox: { localStoragePath: config.outboxDir, syncIntervalSeconds: 1 },
  heartbeatIntervalSeconds: 1,
});

await serveChildWorker(worker);
