// `npm run bench:outbox`: the LMDB outbox against the real RabbitMQ. Prints write throughput (entries/s into
// LMDB), drain throughput after an outage (entries/s out of LMDB, coalescing on and off) and, measured in the
// same run and interleaved, raw confirmed publishing with rabbitmq-client as the baseline.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { Connection, type Envelope } from 'rabbitmq-client';
import { JobStatus, type LogRecord, type StatusRecord } from '../../lib/index.ts';
import type { SinkRecord } from '../../lib/core/vocabulary/ports.ts';
import { type TechnicalLogger } from '../../lib/core/vocabulary/types.ts';
import { createOutbox } from '../../lib/outbox/create-outbox.ts';
import { createAmqpPublisher, publisherTopology } from '../../lib/transports/amqp/create-amqp-publisher.ts';
import { MilvaionNames } from '../../lib/transports/amqp/milvaion-names.ts';
import { toMessageChannel } from '../../lib/transports/amqp/to-message-channel.ts';

const URL = 'amqp://guest:guest@127.0.0.1:5672';
const RECORDS_PER_JOB = 4; // Running, 2 logs, final: what one short job writes
const JOBS = Math.max(1, Math.round(Number(process.env['BENCH_ENTRIES'] ?? 50_000) / RECORDS_PER_JOB));
const ENTRIES = JOBS * RECORDS_PER_JOB;
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3));
const LANES = 100; // concurrent jobs, as a worker with 100 running jobs
const IN_FLIGHT = 1000; // raw baseline: publishes awaiting their confirm at any time
const QUEUES = [MilvaionNames.statusUpdatesQueue, MilvaionNames.workerLogsQueue] as const;
const identity = { workerId: 'bench-outbox', instanceId: `bench-outbox-${process.pid}` };

/** Warnings and errors go to stderr: a relay that hit an outage during a round makes that round suspect. */
const logger: TechnicalLogger = {
  debug() {},
  info() {},
  warn: (message, ...args) => console.error(`warn: ${message}`, ...args),
  error: (message, ...args) => console.error(`error: ${message}`, ...args),
};

/** The records of `JOBS` short jobs, each one Running, two user logs and a Completed. */
function jobRecords(): SinkRecord[][] {
  const t = Date.now();
  return Array.from({ length: JOBS }, (_, i) => {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const base = { occurrenceId: id, correlationId: id, jobId: '11111111-2222-4333-8444-555555555555', jobName: 'SendEmailJob' };
    const status = (phase: 'start' | 'final', status: JobStatus): StatusRecord => ({
      type: 'status',
      ...base,
      status,
      phase,
      startTime: t,
      endTime: phase === 'final' ? t + 12 : null,
      durationMs: phase === 'final' ? 12 : null,
      result: phase === 'final' ? 'Job SendEmailJob completed successfully' : null,
      exception: null,
      timestamp: t,
    });
    const log = (message: string, data: LogRecord['data']): LogRecord => ({
      type: 'log',
      occurrenceId: id,
      correlationId: id,
      jobName: base.jobName,
      timestamp: t,
      level: 'Information',
      message,
      data,
      category: 'UserCode',
      exceptionType: null,
    });
    return [
      status('start', JobStatus.Running),
      log('Sending the welcome email', { Recipient: `user${i}@example.com` }),
      log('Email sent', { Attempt: 1 }),
      status('final', JobStatus.Completed),
    ];
  });
}

const records = jobRecords();
const connection = new Connection({ url: URL, connectionName: identity.instanceId, retryLow: 100, retryHigh: 1000 });
connection.on('error', (error: unknown) => logger.warn(`RabbitMQ: ${error instanceof Error ? error.message : String(error)}`));
await connection.onConnect(10_000);
// The queues exactly as the worker declares them, so both contenders publish into identical queues.
for (const q of publisherTopology('Classic').queues.filter((q) => (QUEUES as readonly string[]).includes(q.queue))) await connection.queueDeclare(q);

/** Empties both queues, and says whether anyone else consumes from them (then the round is disturbed). */
async function purge(): Promise<void> {
  for (const queue of QUEUES) {
    const { consumerCount } = await connection.queueDeclare({ queue, passive: true });
    if (consumerCount > 0) logger.warn(`${queue} has ${consumerCount} consumer(s): another run uses the broker, figures are disturbed`);
    await connection.queuePurge({ queue });
  }
}

/** Messages waiting in both queues. */
async function queued(): Promise<number> {
  let n = 0;
  for (const queue of QUEUES) n += (await connection.queueDeclare({ queue, passive: true })).messageCount;
  return n;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 250));

/** One round's figures: wall time, messages confirmed, and this process's CPU time (user + system). */
interface Sample {
  readonly ms: number;
  readonly messages: number;
  readonly cpuUs: number;
}

/** CPU time this process spent since `from`, in µs; unlike wall time it hardly moves with the box's noise. */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return used.user + used.system;
};

/** The raw baseline: the same wire messages, pre-encoded, sent with confirms by `IN_FLIGHT` lanes. */
async function rawRound(): Promise<Sample> {
  const wire = createAmqpPublisher({ connection, identity, logger });
  let seq = 0;
  const messages = records.flat().map((r) => {
    const { queue, message } = wire.toWire(r);
    const envelope: Envelope = { exchange: '', routingKey: queue, durable: true, messageId: `raw-${seq++}`, contentType: 'application/json' };
    return { envelope, body: Buffer.from(JSON.stringify(message)) };
  });
  await wire.close();
  const publisher = connection.createPublisher({ confirm: true, maxAttempts: 1 });
  await purge();
  await settle();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < messages.length) {
      const m = messages[next++]!;
      await publisher.send(m.envelope, m.body);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const ms = performance.now() - t0;
  const cpuUs = cpuSince(c0);
  await publisher.close();
  const arrived = await queued();
  if (arrived !== messages.length) logger.warn(`raw: ${arrived} messages in the queues, ${messages.length} confirmed`);
  return { ms, messages: messages.length, cpuUs };
}

/**
 * One outbox round. WRITE: `createOutbox(...).write(record)` exactly as the executor calls it, with the relay
 * not started, so the figure is toWire + LMDB append + commit (the point where the worker may ack) and nothing
 * competes with it: a started relay would read and publish at the same time, and the figure would mix both.
 * DRAIN: the store now holds what RabbitMQ did not take during an outage, as after a restart; `start()` and
 * time until `relay.drain()` reports it empty (it resolves only after the last removal committed). The outage
 * is not made with the TCP proxy: its extra socket pair in this process would tax the drain and not the raw
 * baseline, and the timing would include the reconnect backoff instead of the drain.
 */
async function outboxRound(coalesce: boolean): Promise<{ write: Sample; drain: Sample }> {
  const directory = mkdtempSync(path.join(root, 'round-'));
  // As the worker builds it: its own publisher with maxAttempts 1 (the relay retries in outbox order).
  const publisher = createAmqpPublisher({ connection, identity, logger, maxAttempts: 1 });
  const outbox = createOutbox({
    settings: { localStoragePath: directory, coalesceStatuses: coalesce, maxPendingEntries: Number.MAX_SAFE_INTEGER },
    channel: toMessageChannel(publisher, connection),
    toWire: publisher.toWire,
    logger,
  });
  await purge();
  await settle();
  // Like the executor: a job writes Running and its logs, runs, writes its final, then awaits all four.
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < records.length) {
      const [start, log1, log2, final] = records[next++]!;
      const writes = [outbox.write(start!), outbox.write(log1!), outbox.write(log2!)];
      await null; // the job body
      writes.push(outbox.write(final!));
      await Promise.all(writes);
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  const writeMs = performance.now() - t0;
  const writeCpuUs = cpuSince(c0);
  if (outbox.store.pending !== ENTRIES) throw new Error(`outbox holds ${outbox.store.pending} entries, expected ${ENTRIES}`);
  await settle(); // let the writes' fsync finish: the outage is over long after the entries were written

  const c1 = process.cpuUsage();
  const t1 = performance.now();
  outbox.start();
  const empty = await outbox.relay.drain(300_000);
  const drainMs = performance.now() - t1;
  const drainCpuUs = cpuSince(c1);
  if (!empty) throw new Error(`outbox not drained: ${outbox.store.pending} entries left`);
  const published = outbox.relay.stats.published;
  await outbox.close({ drainMs: 1000 });
  await publisher.close();
  rmSync(directory, { recursive: true, force: true });
  const arrived = await queued();
  if (arrived !== published) logger.warn(`outbox: ${arrived} messages in the queues, ${published} confirmed`);
  if (outbox.relay.stats.failedRounds > 0) logger.warn(`outbox: ${outbox.relay.stats.failedRounds} failed relay rounds`);
  return { write: { ms: writeMs, messages: ENTRIES, cpuUs: writeCpuUs }, drain: { ms: drainMs, messages: published, cpuUs: drainCpuUs } };
}

const root = mkdtempSync(path.join(tmpdir(), 'bench-outbox-'));
/** Samples per figure, with the round they were taken in (ratios pair them with that round's raw). */
const results = { raw: [] as Sample[], write: [] as Sample[], drainOn: [] as Sample[], drainOff: [] as Sample[] };
const rounds = { write: [] as number[], drainOn: [] as number[], drainOff: [] as number[] };
const contenders: ((round: number | undefined) => Promise<void>)[] = [
  async (round) => {
    const r = await rawRound();
    if (round !== undefined) results.raw[round] = r;
  },
  async (round) => {
    const r = await outboxRound(true);
    if (round === undefined) return;
    results.write.push(r.write);
    rounds.write.push(round);
    results.drainOn.push(r.drain);
    rounds.drainOn.push(round);
  },
  async (round) => {
    const r = await outboxRound(false);
    if (round === undefined) return;
    results.write.push(r.write);
    rounds.write.push(round);
    results.drainOff.push(r.drain);
    rounds.drainOff.push(round);
  },
];

try {
  for (const run of contenders) await run(undefined); // warm-up, not kept
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so no contender always runs first (or right after the same one).
    for (let i = 0; i < contenders.length; i++) await contenders[(round + i) % contenders.length]!(round);
  }
} finally {
  await purge().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
}
await connection.close();

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
/** Median and min–max of a per-round figure. */
const spread = (xs: readonly number[]) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
const entriesPerSecond = (samples: readonly Sample[]) => spread(samples.map((s) => rate(ENTRIES, s.ms)));
const messagesPerSecond = (samples: readonly Sample[]) => spread(samples.map((s) => rate(s.messages, s.ms)));
const cpuPerEntry = (samples: readonly Sample[]) => spread(samples.map((s) => Number((s.cpuUs / ENTRIES).toFixed(1))));
// Ratios are taken per round (each against that round's raw figure), which cancels the box's slow spells.
const ratio = (samples: readonly Sample[], at: readonly number[]) =>
  spread(samples.map((s, i) => Number((rate(ENTRIES, s.ms) / rate(ENTRIES, results.raw[at[i]!]!.ms)).toFixed(2))));

const raw = entriesPerSecond(results.raw);
const figures = {
  entries: ENTRIES,
  rounds: ROUNDS,
  raw: { messagesPerSecond: raw, cpuMicrosPerEntry: cpuPerEntry(results.raw) },
  write: { entriesPerSecond: entriesPerSecond(results.write), cpuMicrosPerEntry: cpuPerEntry(results.write), vsRaw: ratio(results.write, rounds.write) },
  drainCoalesced: {
    entriesPerSecond: entriesPerSecond(results.drainOn),
    messagesPerSecond: messagesPerSecond(results.drainOn),
    messagesPublished: median(results.drainOn.map((s) => s.messages)),
    cpuMicrosPerEntry: cpuPerEntry(results.drainOn),
    vsRaw: ratio(results.drainOn, rounds.drainOn),
  },
  drainUncoalesced: {
    entriesPerSecond: entriesPerSecond(results.drainOff),
    messagesPerSecond: messagesPerSecond(results.drainOff),
    messagesPublished: median(results.drainOff.map((s) => s.messages)),
    cpuMicrosPerEntry: cpuPerEntry(results.drainOff),
    vsRaw: ratio(results.drainOff, rounds.drainOff),
  },
};

const fmt = (s: { median: number; min: number; max: number }) => `${String(s.median).padStart(7)}  (${s.min}–${s.max})`.padEnd(26);
const fmtRatio = (s: { median: number; min: number; max: number }) => `×${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
console.log(
  `outbox benchmark: ${ENTRIES} entries per round (${JOBS} jobs × Running, 2 logs, Completed; ${LANES} jobs at a time), ${ROUNDS} rounds, node ${process.version}, ${availableParallelism()} cores`,
);
console.log(`${'contender'.padEnd(50)} ${'entries/s (min–max)'.padEnd(26)} ${'messages/s (min–max)'.padEnd(26)} ${'published'.padStart(9)}  ${'CPU µs/entry'.padEnd(12)}  vs raw, per round`);
const cpu = (s: { median: number }) => `${s.median.toFixed(1)}`.padStart(7).padEnd(12);
const row = (name: string, entries: string, messages: string, published: number | string, cpuUs: string, vs: string) =>
  console.log(`${name.padEnd(50)} ${entries.padEnd(26)} ${messages.padEnd(26)} ${String(published).padStart(9)}  ${cpuUs}  ${vs}`);
row(`raw publish, confirm, ${IN_FLIGHT} in flight (baseline)`, fmt(raw), fmt(raw), ENTRIES, cpu(figures.raw.cpuMicrosPerEntry), '×1.00');
row('outbox write (relay not started)', fmt(figures.write.entriesPerSecond), '—', '—', cpu(figures.write.cpuMicrosPerEntry), fmtRatio(figures.write.vsRaw));
row(
  'outbox drain, coalescing ON (Running dropped)',
  fmt(figures.drainCoalesced.entriesPerSecond),
  fmt(figures.drainCoalesced.messagesPerSecond),
  figures.drainCoalesced.messagesPublished,
  cpu(figures.drainCoalesced.cpuMicrosPerEntry),
  fmtRatio(figures.drainCoalesced.vsRaw),
);
row(
  'outbox drain, coalescing OFF',
  fmt(figures.drainUncoalesced.entriesPerSecond),
  fmt(figures.drainUncoalesced.messagesPerSecond),
  figures.drainUncoalesced.messagesPublished,
  cpu(figures.drainUncoalesced.cpuMicrosPerEntry),
  fmtRatio(figures.drainUncoalesced.vsRaw),
);
console.log('entries/s counts entries removed from the outbox (written, for the write row); messages/s counts messages confirmed by RabbitMQ;');
console.log('CPU µs/entry is this process only (median); RabbitMQ shares the same two cores, so it sets how far the drain can go.');
console.log(`write samples: ${results.write.length} (both outbox contenders write the same way); drain target: ≥ ×0.70 of raw`);
const ofMedians = (s: { median: number }) => (s.median / raw.median).toFixed(2);
console.log(
  `ratios of medians: drain/raw ×${ofMedians(figures.drainUncoalesced.entriesPerSecond)} (coalescing off), ×${ofMedians(figures.drainCoalesced.entriesPerSecond)} (on, entries); write/raw ×${ofMedians(figures.write.entriesPerSecond)}`,
);
if (process.env['BENCH_JSON']) console.log(JSON.stringify({ outbox: figures }));
