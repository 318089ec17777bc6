// BullMQ jobs in Milvaion's dashboard: a BullMQ queue with a job scheduler and one-off jobs, run by a BullMQ
// Worker, reported to Milvaion as external jobs (the way Milvaion's Hangfire and Quartz packages report theirs).
// BullMQ keeps scheduling and running everything; Milvaion only shows it.
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker, type Job } from 'bullmq';
import { reportBullmq } from '../../lib/bullmq.ts';
import { createExternalReporter } from '../../lib/external.ts';
import { createLogger, type Logger } from '../../lib/index.ts';

/** What the bridge connects to and how long it runs. */
export interface BridgeOptions {
  /** Milvaion's RabbitMQ (default the local one, vhost '/'). */
  readonly amqpUrl?: string;
  /** BullMQ's Redis (default 127.0.0.1:6379). */
  readonly redis?: { readonly host: string; readonly port: number };
  readonly queueName?: string;
  /** The WorkerId the jobs appear under in the dashboard. */
  readonly workerId?: string;
  /** The job scheduler's cron pattern (default every 5 seconds). */
  readonly pattern?: string;
  /** How long it runs before it closes (default 30 s). */
  readonly runForMs?: number;
  /** Where the reporter's outbox keeps what the broker has not taken yet. */
  readonly outboxPath?: string;
  readonly logger?: Logger;
}

/** The job the scheduler makes: a digest of what happened since the last one. */
async function sendDigest(job: Job): Promise<unknown> {
  return { sent: job.data.list as string, at: new Date().toISOString() };
}

/** A one-off import that fails on its first attempt (the file is not there yet) and succeeds on the second. */
async function importFile(job: Job): Promise<unknown> {
  if (job.attemptsMade === 0) throw new Error(`${job.data.file as string} is not uploaded yet`);
  return { imported: job.data.file as string, rows: 42 };
}

/** A one-off job that succeeds at once. */
async function resizeImage(job: Job): Promise<unknown> {
  return { resized: job.data.image as string, width: 320 };
}

/** The Worker's processor: one function per job name. */
const processors: Record<string, (job: Job) => Promise<unknown>> = { 'send-digest': sendDigest, 'import-file': importFile, 'resize-image': resizeImage };

/** Runs the bridge for `runForMs`, then closes it; resolves with the ids of the one-off jobs it added. */
export async function runBridge(options: BridgeOptions = {}): Promise<{ queueName: string; workerId: string; jobIds: string[] }> {
  const connection = options.redis ?? { host: '127.0.0.1', port: 6379 };
  const queueName = options.queueName ?? 'bullmq-bridge';
  const workerId = options.workerId ?? 'bullmq-bridge';
  const logger = options.logger ?? createLogger({ tag: 'bullmq-bridge' });
  const queue = new Queue(queueName, { connection });
  const worker = new Worker(queueName, (job) => processors[job.name]!(job), { connection });
  worker.on('completed', (job, result) => logger.info(`${job.name} ${job.id} completed: ${JSON.stringify(result)}`));
  worker.on('failed', (job, error) => logger.info(`${job?.name} ${job?.id} failed (attempt ${job?.attemptsMade}): ${error.message}`));
  const reporter = createExternalReporter({
    rabbitmq: { url: options.amqpUrl ?? 'amqp://guest:guest@127.0.0.1:5672/' },
    workerId,
    source: 'BullMQ',
    outbox: { localStoragePath: options.outboxPath ?? path.join(tmpdir(), 'milvaion-bullmq-bridge') },
    logger,
  });
  await reporter.start();
  const report = reportBullmq({ queue, worker, reporter, logger });
  try {
    await queue.upsertJobScheduler('daily-digest', { pattern: options.pattern ?? '*/5 * * * * *' }, { name: 'send-digest', data: { list: 'all' } });
    await report.sync(); // registered now rather than at the next sync (every 30 s)
    const jobs = [
      await queue.add('import-file', { file: 'prices.csv' }, { attempts: 3, backoff: { type: 'fixed', delay: 1000 } }),
      await queue.add('resize-image', { image: 'logo.png' }),
    ];
    await new Promise((resolve) => setTimeout(resolve, options.runForMs ?? 30_000));
    return { queueName, workerId, jobIds: jobs.map((j) => j.id!) };
  } finally {
    await queue.removeJobScheduler('daily-digest'); // nothing keeps running in Redis after the sample
    await report.sync(); // …and the dashboard shows the job inactive
    await report.close();
    await worker.close();
    await reporter.close();
    await queue.close();
  }
}

// `npx tsx samples/bullmq-bridge/main.ts` (RUN_SECONDS=60 to watch longer).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runBridge({ runForMs: Number(process.env['RUN_SECONDS'] ?? 30) * 1000 });
}
