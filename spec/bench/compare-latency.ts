// The latency phase of bench:compare: one commit's worker at a paced, light load (COMPARE_LATENCY_RATE jobs/s,
// 200 by default; COMPARE_LATENCY_JOBS jobs, 1,000) of short jobs (20 ms, so Running goes out on its own rather
// than coalesced with the final), timed from the dispatch to the Running and the final status as a bare
// collector on the status queue receives them. Dispatches and the collector are this checkout's code; only the
// worker is the commit's.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Connection, type AsyncMessage } from 'rabbitmq-client';
import { JobStatus } from '../../lib/core/vocabulary/types.ts';
import { createSchedulerClient } from '../../lib/scheduler-client/create-scheduler-client.ts';
import { publisherTopology } from '../../lib/transports/amqp/create-amqp-publisher.ts';
import { MilvaionNames } from '../../lib/transports/amqp/milvaion-names.ts';

/** The `redis` option of every worker of a comparison, when COMPARE_REDIS (a Worker:Redis:ConnectionString) is set. */
export function redisOption(): { redis?: { connectionString: string } } {
  const connectionString = process.env['COMPARE_REDIS'];
  return connectionString ? { redis: { connectionString } } : {};
}
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { declareJobQueue } from './declare-job-queue.ts';

const num = (name: string, fallback: number) => Math.max(1, Number(process.env[name] ?? fallback));
export const LATENCY_RATE = num('COMPARE_LATENCY_RATE', 200);
export const LATENCY_JOBS = num('COMPARE_LATENCY_JOBS', 1000);
const JOB_MS = 20;

/** Percentiles in ms of one latency round. */
export interface LatencyFigures {
  readonly runningP50: number;
  readonly runningP99: number;
  readonly finalP99: number;
  readonly seen: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (xs: readonly number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Loads `file` (lib/…) of the checkout at `root`. */
async function loadFrom(root: string, file: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(path.join(root, 'lib', file)).href)) as Record<string, unknown>;
}

/** One latency round of the worker under `root`. */
export async function latencyRound(root: string, k: number): Promise<LatencyFigures> {
  const lib = await loadFrom(root, 'index.ts');
  const { createAmqpWorker } = (await loadFrom(root, 'worker/create-amqp-worker.ts')) as { createAmqpWorker: (o: object) => { start(): Promise<void>; close(o: object): Promise<unknown> } };
  const defineJob = lib['defineJob'] as (d: object) => unknown;
  const vhost = createVhost(`bench-compare-lat-${process.pid}-${k}`);
  const url = `${AMQP_URL}/${vhost}`;
  const connection = new Connection({ url });
  connection.on('error', (error: unknown) => console.error(`warn: RabbitMQ: ${String(error)}`));
  const directory = mkdtempSync(path.join(tmpdir(), 'bench-compare-lat-'));
  const workerId = 'bench-compare-latency';
  const scheduler = await createSchedulerClient({ url, queuePrefix: 'ignored.' });
  const job = defineJob({
    name: 'ShortJob',
    run: async (_data: unknown, ctx: { log: { info(m: string): void } }) => {
      await sleep(JOB_MS);
      ctx.log.info('short done');
    },
  });
  const worker = createAmqpWorker({ workerId, rabbitmq: { url }, jobs: [job], jobConfig: () => ({ maxParallelJobs: 100 }), maxParallelJobs: 100, outbox: { localStoragePath: directory }, logger: lib['silentLogger'] ?? (lib['createLogger'] as (o: object) => unknown)({ level: 'silent' }), ...redisOption() });
  try {
    await connection.onConnect(10_000);
    for (const q of publisherTopology('Classic').queues) await connection.queueDeclare(q);
    await declareJobQueue(connection, workerId, 'ShortJob');
    const sentAt = new Map<string, number>();
    const runningAt = new Map<string, number>();
    const finalAt = new Map<string, number>();
    let allFinal!: () => void;
    const finished = new Promise<void>((resolve) => (allFinal = resolve));
    const collector = connection.createConsumer(
      { queue: MilvaionNames.statusUpdatesQueue, queueOptions: { passive: true }, qos: { prefetchCount: 500 }, noAck: true },
      (msg: AsyncMessage) => {
        const now = performance.now();
        const body = (Buffer.isBuffer(msg.body) ? JSON.parse(msg.body.toString()) : msg.body) as Record<string, unknown>;
        const id = String(body['CorrelationId'] ?? body['OccurrenceId'] ?? '');
        if (!sentAt.has(id)) return;
        if (Number(body['Status']) === JobStatus.Running) {
          if (!runningAt.has(id)) runningAt.set(id, now);
        } else if (!finalAt.has(id)) {
          finalAt.set(id, now);
          if (finalAt.size === LATENCY_JOBS) allFinal();
        }
      },
    );
    collector.on('error', (error: unknown) => console.error(`warn: collector: ${String(error)}`));
    await worker.start();
    await sleep(500);
    const t0 = performance.now();
    let sent = 0;
    const dispatches: Promise<unknown>[] = [];
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const due = Math.min(LATENCY_JOBS, Math.floor(((performance.now() - t0) / 1000) * LATENCY_RATE) + 1);
        while (sent < due) {
          const occurrenceId = randomUUID();
          sentAt.set(occurrenceId, performance.now());
          dispatches.push(scheduler.dispatch({ jobName: 'ShortJob', workerId, occurrenceId }));
          sent++;
        }
        if (sent >= LATENCY_JOBS) {
          clearInterval(tick);
          resolve();
        }
      }, 5);
    });
    await Promise.all(dispatches);
    await Promise.race([finished, sleep(60_000)]);
    await collector.close();
    const lat = (at: Map<string, number>) => [...at].map(([id, t]) => t - sentAt.get(id)!);
    const running = lat(runningAt);
    return { runningP50: round2(quantile(running, 0.5)), runningP99: round2(quantile(running, 0.99)), finalP99: round2(quantile(lat(finalAt), 0.99)), seen: running.length };
  } finally {
    await worker.close({ graceMs: 1000, drainMs: 2000 });
    await scheduler.close();
    await connection.close();
    deleteVhost(vhost);
    rmSync(directory, { recursive: true, force: true });
  }
}
