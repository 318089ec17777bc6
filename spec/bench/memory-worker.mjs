// The worker alone, for the memory figures of bench:throughput: only the worker is loaded, no benchmark client.
// Plain JavaScript: by default it imports the built package (dist/, through the package's own exports) and runs
// under plain node, as a deployment does; BENCH_WORKER_FROM=source imports lib/ instead (run it under tsx).
// Prints one JSON sample a second ({ sample: { t, done, memory…, outbox… (commits: LMDB transactions), cpuMs } }) and exits once every job ran.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const fromSource = process.env['BENCH_WORKER_FROM'] === 'source';
const { defineJob, silentLogger } = await import(fromSource ? '../../lib/index.ts' : 'milvaion-worker');
const { createAmqpWorker } = await import(fromSource ? '../../lib/amqp.ts' : 'milvaion-worker/amqp');

const total = Math.max(1, Number(process.env['BENCH_MEMORY_JOBS'] ?? 1_000_000));
const directory = mkdtempSync(path.join(tmpdir(), 'bench-tp-mem-'));
let done = 0;
let finish;
const all = new Promise((resolve) => (finish = resolve));
const worker = createAmqpWorker({
  workerId: process.env['BENCH_WORKER_ID'] ?? 'bench-memory',
  rabbitmq: {
    url: process.env['BENCH_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
    // bench:scale: the brokers of a cluster and its queue type.
    ...(process.env['BENCH_HOSTS'] ? { hosts: process.env['BENCH_HOSTS'].split(',') } : {}),
    ...(process.env['BENCH_QUEUE_TYPE'] ? { queueType: process.env['BENCH_QUEUE_TYPE'] } : {}),
  },
  jobs: [
    defineJob({
      name: 'NoopJob',
      run: (_data, ctx) => {
        ctx.log.info('noop done');
        if (++done === total) finish();
      },
    }),
  ],
  jobConfig: () => ({ maxParallelJobs: 100 }),
  maxParallelJobs: 100,
  // BENCH_OUTBOX: extra outbox settings as JSON (bench:profile compares e.g. {"coalesceStatuses":true}).
  outbox: { localStoragePath: directory, ...JSON.parse(process.env['BENCH_OUTBOX'] ?? '{}') },
  logger: silentLogger,
});
/** Resident memory split as Linux reports it: anonymous (heap, buffers) and file-backed (code, the LMDB map). */
const rssParts = () => {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rssAnon: kb('RssAnon'), rssFile: kb('RssFile') + kb('RssShmem') };
};
const sample = () => {
  const m = process.memoryUsage();
  const cpu = process.cpuUsage();
  const outbox = worker.outbox;
  const memory = { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, ...rssParts() };
  const relay = { pending: outbox?.store.pending ?? 0, coalesced: outbox?.relay.stats.coalesced ?? 0, published: outbox?.relay.stats.published ?? 0, commits: outbox?.store.commits ?? 0 };
  console.log(JSON.stringify({ sample: { t: performance.now(), done, ...memory, ...relay, cpuMs: Math.round((cpu.user + cpu.system) / 1000) } }));
};
// bench:scale ends its workers with SIGTERM: close the worker and delete the outbox folder.
process.once('SIGTERM', () => {
  void worker
    .close({ graceMs: 1000, drainMs: 2000 })
    .finally(() => {
      rmSync(directory, { recursive: true, force: true });
      process.exit(0);
    });
});
sample(); // every module loaded, before connecting: the floor under the figures
await worker.start();
const timer = setInterval(sample, 1000);
await all;
while (worker.executor.running > 0 || (worker.outbox?.store.pending ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
sample();
clearInterval(timer);
await worker.close({ graceMs: 1000, drainMs: 5000 });
rmSync(directory, { recursive: true, force: true });
process.exit(0);
