// `npm run bench:compare -- <git ref> [<git ref>…]`: the worker of this checkout against the worker of
// other commits, on the same machine in one run. Each ref is checked out into a temporary git worktree that
// shares this checkout's node_modules, and its worker runs from its own lib/ under tsx, as this one does.
// Rounds are interleaved with the order rotated; each prints jobs/s and the CPU per job of the worker and
// of the broker (beam.smp) over the processing only, the prefill left out. Ratios are per round, then their
// median. COMPARE_JOBS (10,000), COMPARE_ROUNDS (3), COMPARE_CONCURRENCY (100); COMPARE_OUTBOX a JSON object
// of outbox settings per label ({"HEAD":{…}}) runs a variant; the label `HEAD+<name>` adds this checkout again.
// After each throughput round the same worker runs a latency round (compare-latency.ts): dispatch→Running p99
// at a light paced load; COMPARE_LATENCY=0 leaves it out. COMPARE_REDIS (a Worker:Redis:ConnectionString) gives every
// worker Redis: cancellation, and the shared occurrence records of the commits that have them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Connection } from 'rabbitmq-client';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { cpuNow } from './cpu-now.ts';
import { LATENCY_JOBS, LATENCY_RATE, latencyRound, redisOption, type LatencyFigures } from './compare-latency.ts';
import { prefillJobQueue } from './declare-job-queue.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const num = (name: string, fallback: number) => Math.max(1, Number(process.env[name] ?? fallback));
const N = num('COMPARE_JOBS', 10_000);
const ROUNDS = num('COMPARE_ROUNDS', 3);
const C = num('COMPARE_CONCURRENCY', 100);
const WITH_LATENCY = process.env['COMPARE_LATENCY'] !== '0';
const variants = JSON.parse(process.env['COMPARE_OUTBOX'] ?? '{}') as Record<string, Record<string, unknown>>;
const refs = process.argv.slice(2).filter((a) => a !== '--');
if (refs.length === 0 && !Object.keys(variants).some((v) => v.startsWith('HEAD+'))) {
  console.error('usage: npm run bench:compare -- <git ref> [<git ref>…]   (compares this checkout with each)');
  process.exit(64);
}

/** A worktree per ref, sharing node_modules; removed at the end. */
const trees = new Map<string, string>([['HEAD', REPO]]);
for (const name of Object.keys(variants)) if (name.startsWith('HEAD+')) trees.set(name, REPO);
const worktrees: string[] = [];
for (const ref of refs) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-compare-'));
  execFileSync('git', ['-C', REPO, 'worktree', 'add', '--detach', dir, ref], { stdio: 'ignore' });
  worktrees.push(dir);
  if (!existsSync(path.join(dir, 'node_modules'))) symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  trees.set(ref, dir);
}

/** A logger that prints nothing, from a commit's main entry (`silentLogger` before the 1.0 surface, `createLogger` after). */
function silentOf(lib: { silentLogger?: unknown; createLogger: (o: object) => unknown }): unknown {
  return lib.silentLogger ?? lib.createLogger({ level: 'silent' });
}

/** One round of `label`'s worker: N pre-loaded no-op jobs (one log line each) at concurrency C. */
async function round(label: string, root: string, k: number) {
  const load = (file: string) => import(pathToFileURL(path.join(root, 'lib', file)).href);
  const lib = await load('index.ts');
  const { createAmqpWorker } = await load('worker/create-amqp-worker.ts');
  const vhost = createVhost(`bench-compare-${process.pid}-${k}`);
  const url = `${AMQP_URL}/${vhost}`;
  const connection = new Connection({ url });
  connection.on('error', (error: unknown) => console.error(`warn: RabbitMQ: ${String(error)}`));
  const directory = mkdtempSync(path.join(tmpdir(), 'bench-compare-outbox-'));
  let worker: { start(): Promise<void>; close(o: object): Promise<unknown>; executor: { running: number }; outbox?: { store: { pending: number } } } | undefined;
  try {
    await connection.onConnect(10_000);
    const workerId = `bench-compare-c${C}`;
    // The queue and dispatches are the protocol's, the same for every commit: declared with this checkout's code.
    await prefillJobQueue(connection, workerId, 'NoopJob', N);
    let done = 0;
    let finish!: () => void;
    const all = new Promise<void>((resolve) => (finish = resolve));
    const job = lib.defineJob({
      name: 'NoopJob',
      run: async (_data: unknown, ctx: { log: { info(m: string): void } }) => {
        ctx.log.info('noop done');
        if (++done === N) finish();
      },
    });
    const outbox = { localStoragePath: directory, ...(variants[label] ?? {}) };
    worker = createAmqpWorker({ workerId, rabbitmq: { url }, jobs: [job], jobConfig: () => ({ maxParallelJobs: C }), maxParallelJobs: C, outbox, logger: silentOf(lib), ...redisOption() });
    const cpu0 = cpuNow();
    const t0 = performance.now();
    await worker!.start();
    await all;
    while (worker!.executor.running > 0 || (worker!.outbox?.store.pending ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const ms = performance.now() - t0;
    const cpu1 = cpuNow();
    const perJob = (s: number) => Math.round((s / N) * 1e6);
    return { rate: (N / ms) * 1000, broker: perJob(cpu1.broker - cpu0.broker), worker: perJob(cpu1.client - cpu0.client) };
  } finally {
    await worker?.close({ graceMs: 1000, drainMs: 2000 });
    await connection.close();
    deleteVhost(vhost);
    rmSync(directory, { recursive: true, force: true });
  }
}

const labels = [...trees.keys()];
const results = new Map(labels.map((l) => [l, [] as { rate: number; broker: number; worker: number }[]]));
const latencies = new Map(labels.map((l) => [l, [] as LatencyFigures[]]));
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
let k = 0;
try {
  console.log(`${N} jobs per round, concurrency ${C}, ${ROUNDS} rounds; ${labels.map((l) => `${l} = ${trees.get(l)}`).join(', ')}`);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < labels.length; i++) {
      const label = labels[(i + r) % labels.length]!;
      const x = await round(label, trees.get(label)!, ++k);
      results.get(label)!.push(x);
      console.log(`round ${r + 1} ${label.padEnd(20)} ${String(Math.round(x.rate)).padStart(6)} jobs/s; CPU per job: worker ${x.worker} µs, broker ${x.broker} µs`);
      if (WITH_LATENCY && !label.startsWith('HEAD+')) {
        const l = await latencyRound(trees.get(label)!, ++k);
        latencies.get(label)!.push(l);
        console.log(`round ${r + 1} ${label.padEnd(20)} at ${LATENCY_RATE} jobs/s: Running p50 ${l.runningP50} ms, p99 ${l.runningP99} ms; final p99 ${l.finalP99} ms (${l.seen}/${LATENCY_JOBS} Running seen)`);
      }
    }
  }
  const head = results.get('HEAD')!;
  for (const label of labels) {
    const xs = results.get(label)!;
    const ratio = median(head.map((h, i) => h.rate / xs[i]!.rate));
    console.log(
      `${label.padEnd(20)} ${String(Math.round(median(xs.map((x) => x.rate)))).padStart(6)} jobs/s (${xs.map((x) => Math.round(x.rate)).join(', ')}); ` +
        `worker ${median(xs.map((x) => x.worker))} µs/job, broker ${median(xs.map((x) => x.broker))} µs/job; HEAD / this ×${ratio.toFixed(2)}`,
    );
    const ls = latencies.get(label)!;
    if (ls.length > 0) console.log(`${label.padEnd(20)} Running p99 ${median(ls.map((l) => l.runningP99))} ms (${ls.map((l) => l.runningP99).join(', ')}), p50 ${median(ls.map((l) => l.runningP50))} ms, final p99 ${median(ls.map((l) => l.finalP99))} ms`);
  }
} finally {
  for (const dir of worktrees) execFileSync('git', ['-C', REPO, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' });
}
process.exit(0);
