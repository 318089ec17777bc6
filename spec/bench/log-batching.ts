// `npm run bench:logs`: what RabbitMQ:LogBatching does to throughput. A job that writes 5 logs runs on a worker with
// the outbox on at concurrency 100, with LogBatching off and on, interleaved round by round, each round in a
// vhost of its own; prints jobs/s, the messages that reached worker_logs_queue, and the ratio of the medians.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from 'rabbitmq-client';
import { defineJob } from '../../lib/index.ts';
import { silentLogger } from '../../lib/create-logger.ts';
import { createAmqpWorker, type AmqpWorker } from '../../lib/worker/create-amqp-worker.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { MilvaionNames } from '../../lib/transports/amqp/milvaion-names.ts';
import { prefillJobQueue } from './declare-job-queue.ts';

const env = (name: string, fallback: number) => Math.max(1, Number(process.env[name] ?? fallback));
const N = env('BENCH_JOBS', 10_000);
const ROUNDS = env('BENCH_ROUNDS', 2);
const CONCURRENCY = 100;
const JOB_NAME = 'FiveLogsJob';
const runId = `bench-logs-${process.pid}`;
let rounds = 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One round: N jobs prefilled, then a fresh worker drains them; jobs/s until every status and log left the outbox. */
async function round(logBatching: boolean): Promise<{ rate: number; logMessages: number }> {
  const vhost = createVhost(`${runId}-${++rounds}`);
  const url = `${AMQP_URL}/${vhost}`;
  const directory = mkdtempSync(path.join(tmpdir(), 'bench-logs-outbox-'));
  const connection = new Connection({ url, retryLow: 100, retryHigh: 1000 });
  let worker: AmqpWorker | undefined;
  try {
    await connection.onConnect(10_000);
    const workerId = 'bench-logs';
    await prefillJobQueue(connection, workerId, JOB_NAME, N);
    let done = 0;
    let finish!: () => void;
    const all = new Promise<void>((resolve) => (finish = resolve));
    const job = defineJob({
      name: JOB_NAME,
      run: (_data, ctx) => {
        for (let i = 1; i <= 5; i++) ctx.log.info(`step ${i}`);
        if (++done === N) finish();
      },
    });
    worker = createAmqpWorker({
      workerId,
      rabbitmq: { url, logBatching },
      jobs: [job],
      jobConfig: () => ({ maxParallelJobs: CONCURRENCY }),
      maxParallelJobs: CONCURRENCY,
      outbox: { localStoragePath: directory },
      logger: silentLogger,
    });
    const t0 = performance.now();
    await worker.start();
    await all;
    while (worker.executor.running > 0 || (worker.outbox?.store.pending ?? 0) > 0) await sleep(1);
    const rate = (N / (performance.now() - t0)) * 1000;
    const logMessages = (await connection.queueDeclare({ queue: MilvaionNames.workerLogsQueue, passive: true })).messageCount;
    return { rate, logMessages };
  } finally {
    await worker?.close({ graceMs: 1000, drainMs: 2000 });
    await connection.close();
    deleteVhost(vhost);
    rmSync(directory, { recursive: true, force: true });
  }
}


const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

const results: Record<'off' | 'on', number[]> = { off: [], on: [] };
console.log(`log batching: ${N} jobs × 5 logs per round, outbox on, concurrency ${CONCURRENCY}, ${ROUNDS} rounds each (interleaved)`);
for (let r = 1; r <= ROUNDS; r++) {
  for (const mode of ['off', 'on'] as const) {
    const { rate, logMessages } = await round(mode === 'on');
    results[mode].push(rate);
    console.log(`  round ${r} LogBatching ${mode.padEnd(3)}: ${Math.round(rate)} jobs/s, ${logMessages} messages on worker_logs_queue (${((N * 5) / Math.max(1, logMessages)).toFixed(1)} logs per message)`);
  }
}
const off = median(results.off);
const on = median(results.on);
console.log(`LogBatching off: ${Math.round(off)} jobs/s (median of ${results.off.map(Math.round).join(', ')})`);
console.log(`LogBatching on:  ${Math.round(on)} jobs/s (median of ${results.on.map(Math.round).join(', ')})`);
console.log(`on / off: ×${(on / off).toFixed(2)}`);
