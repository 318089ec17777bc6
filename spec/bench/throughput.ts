// `npm run bench:throughput`: end-to-end throughput of the worker against raw rabbitmq-client (with and
// without a confirmed status per job) and BullMQ, interleaved per round at concurrency 1, 10 and 100; then
// dispatch→Running/final latency at 10% and 50% of the worker's max, and memory over a long run.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker as BullWorker } from 'bullmq';
import { Redis } from 'ioredis';
import { Connection, type AsyncMessage } from 'rabbitmq-client';
import { defineJob, JobStatus, type LogRecord, type StatusRecord } from '../../lib/index.ts';
import { silentLogger } from '../../lib/create-logger.ts';
import { createSchedulerClient } from '../../lib/scheduler-client/index.ts';
import { toDispatchEnvelope, toDispatchMessage } from '../../lib/scheduler-client/create-scheduler-client.ts';
import { createAmqpPublisher, publisherTopology } from '../../lib/transports/amqp/create-amqp-publisher.ts';
import { createAmqpWorker, type AmqpWorker } from '../../lib/worker/create-amqp-worker.ts';
import { MilvaionNames, toJobQueueName, toRoutingPattern } from '../../lib/transports/amqp/milvaion-names.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { startDurableRedis, type DurableRedis } from './durable-redis.ts';
import { prefill } from './prefill.ts';
import { declareJobQueue, prefillJobQueue } from './declare-job-queue.ts';
import { cpuNow } from './cpu-now.ts';

const JOB_NAME = 'NoopJob';
const env = (name: string, fallback: number) => Math.max(1, Number(process.env[name] ?? fallback));

/** BENCH_LONG=1: the long memory runs (1,000,000 jobs from the built package, and 200,000 from lib/ under tsx). */
const LONG = process.env['BENCH_LONG'] === '1';
const N = env('BENCH_JOBS', 10_000);
const ROUNDS = env('BENCH_ROUNDS', 3);
const CONCURRENCIES = [1, 10, 100] as const;
const LATENCY_JOBS = env('BENCH_LATENCY_JOBS', 2000);
/** Jobs of the memory run of the built package (dist/, plain node), as a deployment runs the worker. */
const MEMORY_JOBS = env('BENCH_MEMORY_JOBS', LONG ? 1_000_000 : 200_000);
/** Jobs of the comparison run: the same worker from lib/ under tsx, as the package ran before it was compiled. */
const MEMORY_TSX_JOBS = process.env['BENCH_MEMORY_TSX_JOBS'] !== undefined ? env('BENCH_MEMORY_TSX_JOBS', 200_000) : LONG ? 200_000 : 0;
/** BENCH_MEMORY_ONLY=1: only the two memory runs (they take most of the time). */
const MEMORY_ONLY = process.env['BENCH_MEMORY_ONLY'] === '1';
const LATENCY_JOB_MS = Math.max(0, Number(process.env['BENCH_LATENCY_JOB_MS'] ?? 20));
/** BENCH_LATENCY_ONLY=<jobs/s>: only the latency level at that rate, printed as JSON (for quick before/after probes). */
const LATENCY_ONLY = Number(process.env['BENCH_LATENCY_ONLY'] ?? 0);
const REDIS = { host: '127.0.0.1', port: 6379 };
const vhosts = new Set<string>();
const tempDirs = new Set<string>();
const runId = `bench-tp-${process.pid}`;
let vhostCount = 0;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A no-op job that writes one log line (through the outbox) and reports each completion; `ms` > 0 makes it wait. */
function noopJob(onDone: () => void, ms = 0) {
  return defineJob({
    name: JOB_NAME,
    run: async (_data, ctx) => {
      if (ms > 0) await sleep(ms);
      ctx.log.info('noop done');
      onDone();
    },
  });
}

function newVhost(): { name: string; url: string } {
  const name = createVhost(`${runId}-${++vhostCount}`);
  vhosts.add(name);
  return { name, url: `${AMQP_URL}/${name}` };
}

function dropVhost(name: string): void {
  if (vhosts.delete(name)) deleteVhost(name);
}

async function connect(url: string): Promise<Connection> {
  const connection = new Connection({ url, retryLow: 100, retryHigh: 1000 });
  connection.on('error', (error: unknown) => console.error(`warn: RabbitMQ: ${error instanceof Error ? error.message : String(error)}`));
  await connection.onConnect(10_000);
  return connection;
}



/** A Running, a log line and a Completed exactly as the worker's wire mapping builds them, for the floor. */
function wireBodies(connection: Connection): { running: Buffer; log: Buffer; final: Buffer } {
  const wire = createAmqpPublisher({ connection, identity: { workerId: 'bench', instanceId: 'bench-0000abcd' }, logger: silentLogger });
  const id = randomUUID();
  const t = Date.now();
  const base = { type: 'status', occurrenceId: id, correlationId: id, jobId: randomUUID(), jobName: JOB_NAME, startTime: t, exception: null, timestamp: t } as const;
  const running: StatusRecord = { ...base, status: JobStatus.Running, phase: 'start', endTime: null, durationMs: null, result: null };
  const log: LogRecord = { type: 'log', occurrenceId: id, correlationId: id, jobName: JOB_NAME, timestamp: t, level: 'Information', message: 'noop done', data: null, category: 'UserCode', exceptionType: null };
  const body = (record: StatusRecord | LogRecord) => Buffer.from(JSON.stringify(wire.toWire(record).message));
  const bodies = { running: body(running), log: body(log), final: statusBody(connection) };
  void wire.close();
  return bodies;
}

/** A status message like the worker's (Completed, as the wire mapping builds it), for the raw contender. */
function statusBody(connection: Connection): Buffer {
  const wire = createAmqpPublisher({ connection, identity: { workerId: 'bench', instanceId: 'bench-0000abcd' }, logger: silentLogger });
  const id = randomUUID();
  const t = Date.now();
  const record: StatusRecord = {
    type: 'status',
    occurrenceId: id,
    correlationId: id,
    jobId: randomUUID(),
    jobName: JOB_NAME,
    status: JobStatus.Completed,
    phase: 'final',
    startTime: t,
    endTime: t + 1,
    durationMs: 1,
    result: `Job ${JOB_NAME} completed successfully`,
    exception: null,
    timestamp: t,
  };
  const body = Buffer.from(JSON.stringify(wire.toWire(record).message));
  void wire.close();
  return body;
}

/** Round result: jobs per second, or a note why the round is suspect. */
type Contender = 'raw' | 'rawWithStatus' | 'floor' | 'worker' | 'bullmq' | 'bullmqDurable';
/** Contenders measured only at concurrency 100, outside the four-way table. */
type Extra = 'workerTransient' | 'workerCoalesced' | 'floorTransient';

async function rawRound(concurrency: number, withStatus: boolean): Promise<number> {
  const { name, url } = newVhost();
  const connection = await connect(url);
  try {
    const queue = 'bench_raw_jobs';
    const statusQueue = MilvaionNames.statusUpdatesQueue;
    await connection.queueDeclare({ queue, durable: true });
    await connection.queueDeclare({ queue: statusQueue, durable: true });
    const sample = toDispatchEnvelope(toDispatchMessage({ jobName: JOB_NAME, workerId: 'bench-raw' }));
    await prefill(connection, N, () => ({ envelope: { ...sample.envelope, exchange: '', routingKey: queue }, body: sample.body }));
    const status = statusBody(connection);
    const publisher = withStatus ? connection.createPublisher({ confirm: true, maxAttempts: 1 }) : undefined;
    let done = 0;
    let finish!: () => void;
    const all = new Promise<void>((resolve) => (finish = resolve));
    const t0 = performance.now();
    const consumer = connection.createConsumer({ queue, queueOptions: { durable: true }, qos: { prefetchCount: concurrency }, concurrency }, async () => {
      if (publisher) await publisher.send({ exchange: '', routingKey: statusQueue, durable: true, contentType: 'application/json' }, status);
      if (++done === N) finish();
    });
    consumer.on('error', (error: unknown) => console.error(`warn: raw consumer: ${String(error)}`));
    await all;
    const ms = performance.now() - t0;
    await consumer.close();
    await publisher?.close();
    return (N / ms) * 1000;
  } finally {
    await connection.close();
    dropVhost(name);
  }
}

/**
 * The protocol floor: rabbitmq-client doing per job exactly what Milvaion asks of any worker and nothing else.
 * Consume with manual acks at the same prefetch; publish Running, one log line and the final status (in that
 * order, with confirms, persistent unless `persistent` is false); ack once the three are confirmed.
 */
async function floorRound(concurrency: number, persistent = true): Promise<number> {
  const { name, url } = newVhost();
  const connection = await connect(url);
  try {
    const queue = 'bench_floor_jobs';
    await connection.queueDeclare({ queue, durable: true });
    for (const q of publisherTopology('Classic').queues) await connection.queueDeclare(q);
    const sample = toDispatchEnvelope(toDispatchMessage({ jobName: JOB_NAME, workerId: 'bench-floor' }));
    await prefill(connection, N, () => ({ envelope: { ...sample.envelope, exchange: '', routingKey: queue }, body: sample.body }));
    const bodies = wireBodies(connection);
    const publisher = connection.createPublisher({ confirm: true, maxAttempts: 1 });
    const send = (routingKey: string, body: Buffer) => publisher.send({ exchange: '', routingKey, durable: persistent, contentType: 'application/json' }, body);
    let done = 0;
    let finish!: () => void;
    const all = new Promise<void>((resolve) => (finish = resolve));
    const t0 = performance.now();
    const consumer = connection.createConsumer({ queue, queueOptions: { durable: true }, qos: { prefetchCount: concurrency }, concurrency }, async () => {
      await Promise.all([send(MilvaionNames.statusUpdatesQueue, bodies.running), send(MilvaionNames.workerLogsQueue, bodies.log), send(MilvaionNames.statusUpdatesQueue, bodies.final)]);
      if (++done === N) finish();
    });
    consumer.on('error', (error: unknown) => console.error(`warn: floor consumer: ${String(error)}`));
    await all;
    const ms = performance.now() - t0;
    await consumer.close();
    await publisher.close();
    return (N / ms) * 1000;
  } finally {
    await connection.close();
    dropVhost(name);
  }
}

/** Outbox settings of the "before" variants: every Running coalesced into a final that waits with it, no direct Running. */
const AS_BEFORE: Record<string, unknown> = process.env['BENCH_BEFORE_OUTBOX'] ? (JSON.parse(process.env['BENCH_BEFORE_OUTBOX']) as Record<string, unknown>) : { coalesceStatuses: true };

async function workerRound(concurrency: number, persistent = true, outboxExtra: Record<string, unknown> = {}): Promise<number> {
  const { name, url } = newVhost();
  const connection = await connect(url);
  const directory = mkdtempSync(path.join(tmpdir(), 'bench-tp-outbox-'));
  tempDirs.add(directory);
  let worker: AmqpWorker | undefined;
  try {
    const workerId = `bench-worker-c${concurrency}`;
    // The queue exactly as the worker declares it, filled before the worker starts.
    const queue = await prefillJobQueue(connection, workerId, JOB_NAME, N);
    let done = 0;
    let finish!: () => void;
    const all = new Promise<void>((resolve) => (finish = resolve));
    worker = createAmqpWorker({
      workerId,
      rabbitmq: { url, persistentStatusMessages: persistent },
      jobs: [noopJob(() => ++done === N && finish())],
      jobConfig: () => ({ maxParallelJobs: concurrency }),
      maxParallelJobs: concurrency,
      outbox: { localStoragePath: directory, ...outboxExtra },
      logger: silentLogger,
    });
    const t0 = performance.now();
    await worker.start();
    await all;
    // Every final status handed to the outbox (running drops before the final write, synchronously) and sent.
    while (worker.executor.running > 0 || (worker.outbox?.store.pending ?? 0) > 0) await sleep(1);
    const ms = performance.now() - t0;
    const left = (await connection.queueDeclare({ queue, passive: true })).messageCount;
    if (left > 0) console.error(`warn: worker round left ${left} jobs in its queue`);
    return (N / ms) * 1000;
  } finally {
    await worker?.close({ graceMs: 1000, drainMs: 2000 });
    await connection.close();
    dropVhost(name);
    rmSync(directory, { recursive: true, force: true });
    tempDirs.delete(directory);
  }
}

/** BullMQ on the machine's Redis (nothing on disk), or on `redis` (a durable one: append-only file, fsync every second). */
async function bullmqRound(concurrency: number, round: number, redis: { host: string; port: number } = REDIS): Promise<number> {
  const connection = new Redis({ ...redis, maxRetriesPerRequest: null });
  const queueName = `${runId}-c${concurrency}-r${round}-${redis.port}`;
  const queue = new Queue(queueName, { connection });
  let worker: BullWorker | undefined;
  try {
    const data = toDispatchMessage({ jobName: JOB_NAME, workerId: 'bench-bullmq' }).body;
    for (let i = 0; i < N; i += 1000) {
      const chunk = Array.from({ length: Math.min(1000, N - i) }, () => ({ name: JOB_NAME, data, opts: { removeOnComplete: true, removeOnFail: true } }));
      await queue.addBulk(chunk);
    }
    let done = 0;
    let finish!: () => void;
    const all = new Promise<void>((resolve) => (finish = resolve));
    worker = new BullWorker(queueName, async () => undefined, { connection: new Redis({ ...redis, maxRetriesPerRequest: null }), concurrency, autorun: false });
    worker.on('completed', () => ++done === N && finish());
    worker.on('error', (error) => console.error(`warn: bullmq: ${error.message}`));
    const t0 = performance.now();
    void worker.run();
    await all;
    const ms = performance.now() - t0;
    return (N / ms) * 1000;
  } finally {
    await worker?.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

interface Spread {
  median: number;
  min: number;
  max: number;
}
/** The middle value; with an even count, the mean of the two middle ones (two rounds give their mean). */
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};
const spread = (xs: readonly number[]): Spread => ({ median: Math.round(median(xs)), min: Math.round(Math.min(...xs)), max: Math.round(Math.max(...xs)) });
const quantile = (xs: readonly number[], q: number) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!);

// --- 1. throughput ---
const samples: Record<number, Record<Contender, number[]>> = {};
const extraSamples: Record<Extra, number[]> = { workerTransient: [], workerCoalesced: [], floorTransient: [] };
/** CPU µs per job of each round at concurrency 100: RabbitMQ's (beam.smp) and this process's (the contender runs in it). */
const cpuSamples: Record<Contender, { broker: number; client: number }[]> = { raw: [], rawWithStatus: [], floor: [], worker: [], bullmq: [], bullmqDurable: [] };
const cpuPerJob = (a: { broker: number; client: number }, b: { broker: number; client: number }) => ({ broker: ((b.broker - a.broker) / N) * 1e6, client: ((b.client - a.client) / N) * 1e6 });
const contenders: Record<Contender, (c: number, round: number) => Promise<number>> = {
  raw: (c) => rawRound(c, false),
  rawWithStatus: (c) => rawRound(c, true),
  floor: (c) => floorRound(c),
  worker: (c) => workerRound(c),
  bullmq: (c, round) => bullmqRound(c, round),
  bullmqDurable: (c, round) => bullmqRound(c, round, { host: '127.0.0.1', port: durableRedis!.port }),
};
/** BullMQ's production Redis setting for the bullmqDurable row; started below, stopped at the end. */
let durableRedis: DurableRedis | undefined;
const order = Object.keys(contenders) as Contender[];
/** One line per contender: what it does per job. */
const CONTENDER_WORK: Record<Contender, string> = {
  raw: 'rabbitmq-client consume, ack (no status: less than any Milvaion worker may do)',
  rawWithStatus: 'consume, one persistent status published with a confirm, then the ack',
  floor: 'the protocol floor: consume, Running + one log + final published persistent with confirms, ack once all three are confirmed',
  worker: 'milvaion-worker: parse and validate, the middleware pipeline, Running published direct (transient), log + final through the LMDB outbox (persistent, confirmed by the relay), ack once the final is committed',
  bullmq: 'BullMQ no-op job, removeOnComplete, on the machine Redis (nothing on disk)',
  bullmqDurable: 'the same on a Redis the bench starts with appendonly yes, appendfsync everysec (BullMQ production setting)',
};

/** Latency figures of one load level. */
interface LatencyLevel {
  rate: number;
  jobs: number;
  running: { p50: number; p95: number; p99: number; seen: number };
  final: { p50: number; p95: number; p99: number; seen: number };
  coalesced: number;
}

async function latencyLevel(rate: number, outboxExtra: Record<string, unknown> = {}): Promise<LatencyLevel> {
  const { name, url } = newVhost();
  const connection = await connect(url);
  const directory = mkdtempSync(path.join(tmpdir(), 'bench-tp-lat-'));
  tempDirs.add(directory);
  const workerId = 'bench-latency';
  // The scheduler client's own collectors use a prefix; the worker's statuses go to the real queue, which a
  // bare collector here timestamps with performance.now() (the client's receivedAt has 1 ms resolution).
  const scheduler = await createSchedulerClient({ url, queuePrefix: 'ignored.' });
  const worker = createAmqpWorker({
    workerId,
    rabbitmq: { url },
    // A job that returns at once writes its final in the same relay batch as Running, and the relay then
    // coalesces Running away; a short job lets Running go out on its own, as it does for real work.
    jobs: [noopJob(() => undefined, LATENCY_JOB_MS)],
    jobConfig: () => ({ maxParallelJobs: 100 }),
    maxParallelJobs: 100,
    outbox: { localStoragePath: directory, ...outboxExtra },
    logger: silentLogger,
  });
  try {
    for (const q of publisherTopology('Classic').queues) await connection.queueDeclare(q);
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
    const coalescedBefore = worker.outbox?.relay.stats.coalesced ?? 0;
    // Paced dispatch: every 5 ms, send what is due by now (dispatch() awaits its own confirm, not awaited here).
    const t0 = performance.now();
    let sent = 0;
    const dispatches: Promise<unknown>[] = [];
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const due = Math.min(LATENCY_JOBS, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
        while (sent < due) {
          const occurrenceId = randomUUID();
          sentAt.set(occurrenceId, performance.now());
          dispatches.push(scheduler.dispatch({ jobName: JOB_NAME, workerId, occurrenceId }));
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
    const pct = (xs: number[]) => ({ p50: round2(quantile(xs, 0.5)), p95: round2(quantile(xs, 0.95)), p99: round2(quantile(xs, 0.99)), seen: xs.length });
    return { rate, jobs: LATENCY_JOBS, running: pct(lat(runningAt)), final: pct(lat(finalAt)), coalesced: (worker.outbox?.relay.stats.coalesced ?? 0) - coalescedBefore };
  } finally {
    await worker.close({ graceMs: 1000, drainMs: 2000 });
    await scheduler.close();
    await connection.close();
    dropVhost(name);
    rmSync(directory, { recursive: true, force: true });
    tempDirs.delete(directory);
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;

interface MemorySample {
  t: number;
  done: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  rssAnon: number;
  rssFile: number;
  commits: number;
  cpuMs: number;
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Builds dist/ (npm run build: tsc -p lib), so the memory run measures the package as it is now. */
function buildPackage(): void {
  execFileSync(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(REPO, 'lib')], { cwd: REPO, stdio: 'inherit' });
}

/** Runs the worker alone in a child process and feeds it `jobs` jobs in chunks; returns its memory samples. */
async function memoryRun(mode: 'package' | 'tsx', jobs: number): Promise<{ samples: MemorySample[]; seconds: number }> {
  const { name, url } = newVhost();
  const connection = await connect(url);
  const workerId = `bench-memory-${mode}`;
  const routingPattern = toRoutingPattern(workerId, JOB_NAME);
  const queue = toJobQueueName(routingPattern);
  const CHUNK = 5000;
  const out: MemorySample[] = [];
  try {
    await declareJobQueue(connection, workerId, JOB_NAME);
    // The scheduler's side: consume and drop the statuses and logs, as its collectors do. Left to pile up,
    // millions of them made RabbitMQ page queues to disk and slow the confirms, and the worker's outbox
    // then grew with a backlog no deployment has.
    for (const q of publisherTopology('Classic').queues) await connection.queueDeclare(q);
    const collectors = [MilvaionNames.statusUpdatesQueue, MilvaionNames.workerLogsQueue].map((q) => {
      const consumer = connection.createConsumer({ queue: q, queueOptions: { passive: true }, qos: { prefetchCount: 1000 }, noAck: true }, () => undefined);
      consumer.on('error', (error: unknown) => console.error(`warn: collector: ${String(error)}`));
      return consumer;
    });
    await prefill(connection, Math.min(4 * CHUNK, jobs), () => toDispatchEnvelope(toDispatchMessage({ jobName: JOB_NAME, workerId })));
    let fed = Math.min(4 * CHUNK, jobs);
    const t0 = performance.now();
    // A program of its own, loading only the worker: its RSS is not inflated by this benchmark's clients.
    const program = fileURLToPath(new URL('./memory-worker.mjs', import.meta.url));
    const child = spawn(process.execPath, mode === 'tsx' ? ['--import', 'tsx', program] : [program], {
      env: { ...process.env, BENCH_URL: url, BENCH_WORKER_ID: workerId, BENCH_MEMORY_JOBS: String(jobs), BENCH_WORKER_FROM: mode === 'tsx' ? 'source' : 'package' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('{')) out.push((JSON.parse(line) as { sample: (typeof out)[number] }).sample);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Keep 10k–20k jobs waiting: the queue never holds the whole run.
    while (fed < jobs) {
      const ready = (await connection.queueDeclare({ queue, passive: true })).messageCount;
      if (ready < 2 * CHUNK) {
        const count = Math.min(CHUNK, jobs - fed);
        await prefill(connection, count, () => toDispatchEnvelope(toDispatchMessage({ jobName: JOB_NAME, workerId })));
        fed += count;
      } else await sleep(100);
    }
    const code = await exited;
    for (const collector of collectors) await collector.close();
    if (code !== 0) throw new Error(`memory child exited with ${code}`);
    return { samples: out, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await connection.close();
    dropVhost(name);
  }
}

/** Runs one round and prints its rate with the broker's and the client's CPU microseconds per job. */
async function probed(label: string, round: () => Promise<number>): Promise<number> {
  const before = cpuNow();
  const t0 = performance.now();
  const rate = await round();
  const after = cpuNow();
  // The round's CPU includes its prefill and setup; per job it is an upper bound, the same for every contender.
  const perJob = (x: number) => Math.round((x / N) * 1e6);
  console.log(`${label.padEnd(16)} ${String(Math.round(rate)).padStart(6)} jobs/s; CPU per job (round incl. prefill, ${Math.round(performance.now() - t0)} ms): broker ${perJob(after.broker - before.broker)} µs, client ${perJob(after.client - before.client)} µs`);
  return rate;
}

if (process.env['BENCH_PROBE_C100'] === '1') {
  // A quick before/after probe at concurrency 100, interleaved: the worker now, as before (coalescing), the floor.
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const now = await probed('worker', () => workerRound(100));
      const before = await probed('workerCoalesced', () => workerRound(100, true, AS_BEFORE));
      const floor = await probed('floor', () => floorRound(100));
      console.log(`round ${round + 1}: every Running / as before ×${(now / before).toFixed(2)}, worker / floor ×${(now / floor).toFixed(2)}`);
    }
  } finally {
    for (const name of [...vhosts]) dropVhost(name);
  }
  process.exit(0);
}

if (LATENCY_ONLY > 0) {
  try {
    console.log(JSON.stringify(await latencyLevel(LATENCY_ONLY)));
  } finally {
    for (const name of [...vhosts]) dropVhost(name);
  }
  process.exit(0);
}

let latency: { low: LatencyLevel; lowBefore: LatencyLevel; high: LatencyLevel } | undefined;
let memory: Awaited<ReturnType<typeof memoryRun>> | undefined;
let memoryTsx: Awaited<ReturnType<typeof memoryRun>> | undefined;
try {
  for (const c of CONCURRENCIES) samples[c] = { raw: [], rawWithStatus: [], floor: [], worker: [], bullmq: [], bullmqDurable: [] };
  if (!MEMORY_ONLY) durableRedis = await startDurableRedis();
  for (let round = 0; round < (MEMORY_ONLY ? 0 : ROUNDS); round++) {
    for (const c of CONCURRENCIES) {
      // Rotate the order each round so no contender always runs first.
      for (let i = 0; i < order.length; i++) {
        const name = order[(round + i) % order.length]!;
        const cpuBefore = cpuNow();
        const rate = await contenders[name](c, round);
        if (c === 100) cpuSamples[name].push(cpuPerJob(cpuBefore, cpuNow()));
        samples[c]![name].push(rate);
        console.error(`round ${round + 1}/${ROUNDS} c=${c} ${name}: ${Math.round(rate)} jobs/s`);
      }
    }
    // The same worker publishing statuses and logs transient (RabbitMQ:PersistentStatusMessages false).
    const rate = await workerRound(100, false);
    extraSamples.workerTransient.push(rate);
    console.error(`round ${round + 1}/${ROUNDS} c=100 workerTransient: ${Math.round(rate)} jobs/s`);
    // The floor with transient messages, next to the transient worker.
    const floorTransient = await floorRound(100, false);
    extraSamples.floorTransient.push(floorTransient);
    console.error(`round ${round + 1}/${ROUNDS} c=100 floorTransient: ${Math.round(floorTransient)} jobs/s`);
    // The worker as it was before every Running was sent: Running coalesced into the final when both wait.
    const before = await workerRound(100, true, AS_BEFORE);
    extraSamples.workerCoalesced.push(before);
    console.error(`round ${round + 1}/${ROUNDS} c=100 workerCoalesced: ${Math.round(before)} jobs/s`);
  }
  if (!MEMORY_ONLY) {
    const max = median(samples[100]!.worker);
    const low = await latencyLevel(Math.max(1, Math.round(max * 0.1)));
    console.error(`latency at 10%: done`);
    // The same level with Running through the outbox's LMDB commit, as before the direct path.
    const lowBefore = await latencyLevel(Math.max(1, Math.round(max * 0.1)), { directRunning: false });
    console.error(`latency at 10%, Running through the outbox: done`);
    const high = await latencyLevel(Math.max(1, Math.round(max * 0.5)));
    console.error(`latency at 50%: done`);
    latency = { low, lowBefore, high };
  }
  buildPackage();
  memory = await memoryRun('package', MEMORY_JOBS);
  console.error(`memory (built package): done`);
  if (MEMORY_TSX_JOBS > 0) {
    memoryTsx = await memoryRun('tsx', MEMORY_TSX_JOBS);
    console.error(`memory (lib/ under tsx): done`);
  }
} finally {
  await durableRedis?.stop();
  for (const name of [...vhosts]) dropVhost(name);
  for (const directory of tempDirs) rmSync(directory, { recursive: true, force: true });
}

// --- figures ---
const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
/** Steady-state and growth figures of one memory run; steady means from `mark` jobs on. */
function memoryFiguresOf(run: { samples: MemorySample[]; seconds: number }, jobs: number) {
  const mem = run.samples;
  const mark = Math.min(100_000, Math.floor(jobs / 10));
  const atMark = mem.find((s) => s.done >= mark) ?? mem[0]!;
  const end = mem[mem.length - 1]!;
  const steady = mem.filter((s) => s.done >= mark);
  const floor = mem[0]!;
  const steadyOf = (pick: (s: MemorySample) => number) => ({ median: mb(median(steady.map(pick))), max: mb(Math.max(...steady.map(pick))) });
  return {
    jobs,
    seconds: Math.round(run.seconds),
    jobsPerSecond: Math.round(jobs / run.seconds),
    steadyRssMb: steadyOf((s) => s.rss),
    steadyRssAnonMb: steadyOf((s) => s.rssAnon),
    steadyRssFileMb: steadyOf((s) => s.rssFile),
    steadyHeapMb: steadyOf((s) => s.heapUsed),
    steadyHeapTotalMb: steadyOf((s) => s.heapTotal),
    idleRssMb: mb(floor.rss),
    idleHeapMb: mb(floor.heapUsed),
    markJobs: mark,
    rssAtMarkMb: mb(atMark.rss),
    rssAtEndMb: mb(end.rss),
    heapAtMarkMb: mb(atMark.heapUsed),
    heapAtEndMb: mb(end.heapUsed),
    growthPercent: Math.round(((end.rss - atMark.rss) / atMark.rss) * 1000) / 10,
    anonGrowthPercent: Math.round(((end.rssAnon - atMark.rssAnon) / atMark.rssAnon) * 1000) / 10,
    commitsPerJob: Math.round((end.commits / end.done) * 100) / 100,
    cpuMicrosPerJob: Math.round((end.cpuMs * 1000) / end.done),
    // Where the growth is: anonymous (heap, buffers) or file-backed (the LMDB map).
    rssAnonAtMarkMb: mb(atMark.rssAnon),
    rssAnonAtEndMb: mb(end.rssAnon),
    rssFileAtMarkMb: mb(atMark.rssFile),
    rssFileAtEndMb: mb(end.rssFile),
    // The file-backed part at each tenth of the run: flat once the records reach retention × rate.
    rssFileByTenthMb: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => mb((mem.find((s) => s.done >= (jobs * k) / 10) ?? end).rssFile)),
  };
}
const memoryFigures = memoryFiguresOf(memory!, MEMORY_JOBS);
const memoryTsxFigures = memoryTsx === undefined ? undefined : memoryFiguresOf(memoryTsx, MEMORY_TSX_JOBS);
function printMemory(): void {
  const runs = [['from the built package (dist/, plain node, no tsx: as a deployment runs it)', memoryFigures], ['from lib/ under tsx (how the package ran before it was compiled)', memoryTsxFigures]] as const;
  for (const [label, m] of runs) {
    if (m === undefined) continue;
    console.log(`memory, worker alone in a child process ${label}: concurrency 100, ${m.jobs} jobs fed in chunks of 5000, ${m.seconds} s, ${m.jobsPerSecond} jobs/s`);
    console.log(`  before connecting (modules loaded): RSS ${m.idleRssMb} MB, heap ${m.idleHeapMb} MB`);
    console.log(`  steady RSS median ${m.steadyRssMb.median} MB, max ${m.steadyRssMb.max} MB (anonymous ${m.steadyRssAnonMb.median}, file-backed ${m.steadyRssFileMb.median}); heap used median ${m.steadyHeapMb.median} MB of ${m.steadyHeapTotalMb.median} MB`);
    console.log(`  RSS at ${m.markJobs} jobs ${m.rssAtMarkMb} MB, at the end ${m.rssAtEndMb} MB (growth ${m.growthPercent}%); heap ${m.heapAtMarkMb} → ${m.heapAtEndMb} MB`);
    console.log(`  of which anonymous ${m.rssAnonAtMarkMb} → ${m.rssAnonAtEndMb} MB (growth ${m.anonGrowthPercent}%), file-backed ${m.rssFileAtMarkMb} → ${m.rssFileAtEndMb} MB`);
    console.log(`  file-backed at each tenth of the run: ${m.rssFileByTenthMb.join(', ')} MB`);
    console.log(`  ${m.commitsPerJob} LMDB commits per job; worker CPU ${m.cpuMicrosPerJob} µs per job`);
  }
}
if (MEMORY_ONLY) {
  printMemory();
  if (process.env['BENCH_JSON']) console.log(JSON.stringify({ memory: memoryFigures, memoryTsx: memoryTsxFigures }));
  process.exit(0);
}
const throughput: Record<string, Record<Contender, number>> = {};
const throughputSpread: Record<string, Record<Contender, Spread>> = {};
type Ratio = { median: number; min: number; max: number };
const ratios: Record<string, { workerVsFloor: Ratio; workerVsRaw: Ratio; workerVsRawWithStatus: Ratio; workerVsBullmq: Ratio; workerVsBullmqDurable: Ratio }> = {};
for (const c of CONCURRENCIES) {
  const s = samples[c]!;
  const sp = Object.fromEntries(order.map((k) => [k, spread(s[k])])) as Record<Contender, Spread>;
  throughputSpread[c] = sp;
  throughput[c] = Object.fromEntries(order.map((k) => [k, sp[k].median])) as Record<Contender, number>;
  // Per round: each worker figure against the same round's other contender.
  const per = (base: number[]) => s.worker.map((w, i) => Math.round((w / base[i]!) * 100) / 100);
  const r = (xs: number[]): Ratio => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
  ratios[c] = {
    workerVsFloor: r(per(s.floor)),
    workerVsRaw: r(per(s.raw)),
    workerVsRawWithStatus: r(per(s.rawWithStatus)),
    workerVsBullmq: r(per(s.bullmq)),
    workerVsBullmqDurable: r(per(s.bullmqDurable)),
  };
}
const transient = spread(extraSamples.workerTransient);
const transientVsRaw = median(extraSamples.workerTransient.map((w, i) => w / samples[100]!.raw[i]!));
const coalesced = spread(extraSamples.workerCoalesced);
const everyRunningVsBefore = median(samples[100]!.worker.map((w, i) => w / extraSamples.workerCoalesced[i]!));
const lat = latency!;
const targets = [
  { target: 'worker ≥ BullMQ at concurrency 100 (medians)', met: throughput[100]!.worker >= throughput[100]!.bullmq, value: `${throughput[100]!.worker} vs ${throughput[100]!.bullmq} jobs/s` },
  { target: 'worker ≥ 60% of raw at concurrency 100 (medians)', met: throughput[100]!.worker >= 0.6 * throughput[100]!.raw, value: `${Math.round((throughput[100]!.worker / throughput[100]!.raw) * 100)}%` },
  ...CONCURRENCIES.map((c) => ({ target: `worker ≥ 1.0× the protocol floor at concurrency ${c} (per-round median)`, met: ratios[c]!.workerVsFloor.median >= 1, value: `×${ratios[c]!.workerVsFloor.median.toFixed(2)}` })),
  { target: 'p99 dispatch→Running ≤ 10 ms at 10% load', met: lat.low.running.p99 <= 10, value: `${lat.low.running.p99} ms (Running through the outbox: ${lat.lowBefore.running.p99} ms)` },
  { target: 'p99 dispatch→Running ≤ 25 ms at 50% load', met: lat.high.running.p99 <= 25, value: `${lat.high.running.p99} ms` },
  { target: 'c=100 with every Running ≥ as before (coalesced)', met: everyRunningVsBefore >= 1, value: `×${everyRunningVsBefore.toFixed(2)} (${throughput[100]!.worker} vs ${coalesced.median} jobs/s, per-round median)` },
  { target: 'steady RSS ≤ 120 MB at concurrency 100 (built package)', met: memoryFigures.steadyRssMb.max <= 120, value: `median ${memoryFigures.steadyRssMb.median} MB, max ${memoryFigures.steadyRssMb.max} MB, of which anonymous ${memoryFigures.steadyRssAnonMb.median} MB${memoryTsxFigures ? ` (lib/ under tsx: median ${memoryTsxFigures.steadyRssMb.median} MB)` : ''}` },
  { target: 'anonymous RSS ≤ 80 MB at concurrency 100 (built package)', met: memoryFigures.steadyRssAnonMb.median <= 80, value: `median ${memoryFigures.steadyRssAnonMb.median} MB, max ${memoryFigures.steadyRssAnonMb.max} MB` },
  { target: `RSS growth < 10% (${memoryFigures.markJobs} → ${MEMORY_JOBS} jobs)`, met: memoryFigures.growthPercent < 10, value: `${memoryFigures.growthPercent}% (anonymous ${memoryFigures.anonGrowthPercent}%; file-backed: the LMDB map)` },
];

const fmt = (s: Spread) => `${String(s.median).padStart(6)} (${s.min}–${s.max})`.padEnd(22);
const fr = (s: Spread) => `×${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
console.log(`throughput benchmark: ${N} no-op jobs pre-loaded per round, ${ROUNDS} rounds interleaved, node ${process.version}, ${availableParallelism()} cores`);
console.log(`${'concurrency'.padEnd(12)}${'worker/floor'.padEnd(20)}${order.map((k) => k.padEnd(22)).join('')}${'worker/raw'.padEnd(20)}${'worker/bullmq'.padEnd(20)}worker/bullmqDurable`);
for (const c of CONCURRENCIES) {
  const s = throughputSpread[c]!;
  const r = ratios[c]!;
  console.log(`${String(c).padEnd(12)}${fr(r.workerVsFloor).padEnd(20)}${order.map((k) => fmt(s[k])).join('')}${fr(r.workerVsRaw).padEnd(20)}${fr(r.workerVsBullmq).padEnd(20)}${fr(r.workerVsBullmqDurable)}`);
}
console.log('jobs/s, median (min–max) of the rounds; ratios per round, then their median (min–max). Per job, each contender does:');
const cpuFigures = Object.fromEntries((['raw', 'rawWithStatus', 'floor', 'worker'] as const).map((k) => [k, { broker: Math.round(median(cpuSamples[k].map((x) => x.broker))), client: Math.round(median(cpuSamples[k].map((x) => x.client))) }]));
for (const [name, what] of Object.entries(CONTENDER_WORK)) console.log(`  ${name.padEnd(14)} ${what}`);
console.log(
  `CPU per job at concurrency 100, median of the rounds (each round's CPU over its jobs, prefill included): ${Object.entries(cpuFigures)
    .map(([k, v]) => `${k} broker ${v.broker} µs + client ${v.client} µs`)
    .join('; ')}. The broker and the client share ${availableParallelism()} cores: a client's CPU is time the broker does not get.`,
);
// Issue 29's yardstick: the worker's own CPU per job against the floor client's, per round.
const clientVsFloor = median(cpuSamples.worker.map((w, i) => w.client / cpuSamples.floor[i]!.client));
targets.push({ target: "worker client CPU per job ≤ 1.5× the floor client's at concurrency 100", met: clientVsFloor <= 1.5, value: `×${clientVsFloor.toFixed(2)} (per-round median)` });
const floorTransient = spread(extraSamples.floorTransient);
const transientVsFloor = median(extraSamples.workerTransient.map((w, i) => w / extraSamples.floorTransient[i]!));
console.log(`floor at concurrency 100 with transient messages: ${fmt(floorTransient).trim()}; the transient worker / this floor ×${transientVsFloor.toFixed(2)} (per-round median)`);
console.log(`worker at concurrency 100 with RabbitMQ:PersistentStatusMessages false (transient statuses and logs): ${fmt(transient).trim()}, ×${transientVsRaw.toFixed(2)} of raw (per-round median)`);
console.log(`worker at concurrency 100 as before (CoalesceStatuses: Running folded into a final that waits with it): ${fmt(coalesced).trim()}; every Running sent / as before ×${everyRunningVsBefore.toFixed(2)} (per-round median)`);
console.log(
  `latency (worker at concurrency 100, outbox on, a job that waits ${LATENCY_JOB_MS} ms, ${LATENCY_JOBS} jobs per level, paced dispatch; ms from dispatch() call to the status at a collector; final includes the job's ${LATENCY_JOB_MS} ms)`,
);
for (const [label, l] of [['10%', lat.low], ['10%, Running through the outbox (before)', lat.lowBefore], ['50%', lat.high]] as const) {
  console.log(
    `  ${label} load (${l.rate} jobs/s): Running p50 ${l.running.p50} p95 ${l.running.p95} p99 ${l.running.p99} (seen ${l.running.seen}, coalesced ${l.coalesced}); final p50 ${l.final.p50} p95 ${l.final.p95} p99 ${l.final.p99} (seen ${l.final.seen})`,
  );
}
printMemory();
console.log('targets:');
for (const t of targets) console.log(`  ${t.met ? 'met   ' : 'MISSED'}  ${t.target.padEnd(52)} ${t.value}`);
if (process.env['BENCH_JSON']) {
  console.log(
    JSON.stringify({
      throughput,
      throughputDetail: { jobs: N, rounds: ROUNDS, workerClientCpuVsFloor100: Math.round(clientVsFloor * 100) / 100, command: 'npm run bench:throughput', contenders: CONTENDER_WORK, cpuPerJob100: cpuFigures, spread: throughputSpread, ratios, workerTransient100: { ...transient, vsRaw: Math.round(transientVsRaw * 100) / 100 }, floorTransient100: { ...floorTransient, workerVs: Math.round(transientVsFloor * 100) / 100 }, workerCoalesced100: coalesced },
      latency: { jobMs: LATENCY_JOB_MS, ...lat },
      memory: memoryFigures,
      memoryTsx: memoryTsxFigures,
      targets,
    }),
  );
}
process.exit(0);
