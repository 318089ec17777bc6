// `npm run bench:pipeline`: an empty job through all five default middleware on the embedded transport.
// Prints jobs/s and µs per job (median of several rounds), plus the bare executor without middleware as
// a baseline measured in the same run.
import { availableParallelism } from 'node:os';
import { createEmbeddedWorker, defaultMiddleware, defineJob, type JobEnvelope, type Middleware } from '../../lib/index.ts';
import { createCancellationRegistry } from '../../lib/core/engine/create-cancellation-registry.ts';
import { createExecutor } from '../../lib/core/engine/create-executor.ts';
import { createMemorySink } from '../../lib/transports/memory/create-memory-sink.ts';
import { silentLogger } from '../../lib/create-logger.ts';

const JOBS = Number(process.env['BENCH_JOBS'] ?? 200_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const noop = defineJob({ name: 'NoopJob', maxParallelJobs: 100, run: () => undefined });

function envelope(i: number): JobEnvelope {
  const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  return { jobId: id, jobName: 'NoopJob', jobData: undefined, occurrenceId: id, correlationId: id, retryCount: 0, redelivered: false, version: 1, headers: {} };
}

/** Runs `JOBS` envelopes through an executor, 100 in flight, with a sink that keeps nothing. */
async function executorRound(middleware: Middleware[]): Promise<number> {
  const sink = { write: () => Promise.resolve() };
  const executor = createExecutor({ jobs: [noop], middleware, sink, logger: silentLogger });
  const envelopes = Array.from({ length: JOBS }, (_, i) => envelope(i));
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < JOBS) await executor.execute(envelopes[next++]!);
  };
  await Promise.all(Array.from({ length: 100 }, lane));
  return performance.now() - t0;
}

/** The embedded transport end to end (enqueue, per-job queue, executor, memory sink), 1,000 jobs queued at a time. */
async function embeddedRound(): Promise<number> {
  const worker = createEmbeddedWorker({ jobs: [noop], sink: createMemorySink({ limit: 1000 }) });
  let sent = 0;
  worker.sink.subscribe((record) => {
    if (record.type === 'status' && record.phase === 'final' && sent < JOBS) {
      sent++;
      worker.enqueue('NoopJob');
    }
  });
  const t0 = performance.now();
  for (; sent < Math.min(1000, JOBS); sent++) worker.enqueue('NoopJob');
  await worker.idle();
  const ms = performance.now() - t0;
  await worker.close();
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const registry = createCancellationRegistry();
const shutdown = new AbortController();
const contenders: Record<string, () => Promise<number>> = {
  'executor, no middleware (baseline)': () => executorRound([]),
  'executor, 5 default middleware': () => executorRound(defaultMiddleware({ retryMode: 'scheduled', registry, shutdownSignal: shutdown.signal })),
  'embedded transport, 5 middleware': () => embeddedRound(),
};

const results: Record<string, number[]> = {};
for (const name of Object.keys(contenders)) await contenders[name]!(); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(contenders)) (results[name] ??= []).push(await run());
}

console.log(`pipeline benchmark: ${JOBS} empty jobs per round, ${ROUNDS} rounds, node ${process.version}, ${availableParallelism()} cores`);
const base = median(results['executor, no middleware (baseline)']!);
const summary: Record<string, { jobsPerSecond: number; microsPerJob: number }> = {};
for (const [name, times] of Object.entries(results)) {
  const ms = median(times);
  const jobsPerSecond = Math.round((JOBS / ms) * 1000);
  const micros = (ms * 1000) / JOBS;
  summary[name] = { jobsPerSecond, microsPerJob: Number(micros.toFixed(2)) };
  const range = `${Math.round((JOBS / Math.max(...times)) * 1000)}–${Math.round((JOBS / Math.min(...times)) * 1000)}`;
  console.log(`${name.padEnd(38)} ${String(jobsPerSecond).padStart(9)} jobs/s  (${range})  ${micros.toFixed(2)} µs/job  ×${(base / ms).toFixed(2)} of baseline`);
}
const mw = summary['executor, 5 default middleware']!;
console.log(`middleware overhead: ${(mw.microsPerJob - summary['executor, no middleware (baseline)']!.microsPerJob).toFixed(2)} µs/job`);
if (process.env['BENCH_JSON']) console.log(JSON.stringify({ pipeline: summary }));
