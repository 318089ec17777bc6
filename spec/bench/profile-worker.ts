// `npm run bench:profile [-- --cpu-prof]`: the worker alone (spec/bench/memory-worker.mjs, a child process
// that loads only the built package, dist/; the script builds it first) runs PROFILE_JOBS (50,000) pre-loaded no-op jobs at concurrency 100 and prints
// jobs/s. --cpu-prof leaves a V8 CPU profile of the worker in ./profiles; PROFILE_TRACE=1 prints its
// samples (memory, outbox backlog, CPU); PROFILE_NODE_FLAGS passes flags to its node (V8 tuning).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Connection } from 'rabbitmq-client';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { prefillJobQueue } from './declare-job-queue.ts';

const jobs = Math.max(1, Number(process.env['PROFILE_JOBS'] ?? 50_000));
const cpuProf = process.argv.includes('--cpu-prof');
const vhost = createVhost(`bench-profile-${process.pid}`);
const url = `${AMQP_URL}/${vhost}`;
const connection = new Connection({ url });
connection.on('error', (error: unknown) => console.error(`warn: RabbitMQ: ${String(error)}`));
try {
  const workerId = 'bench-profile';
  await prefillJobQueue(connection, workerId, 'NoopJob', jobs);
  const flags = cpuProf ? ['--cpu-prof', '--cpu-prof-dir=profiles'] : [];
  const child = spawn(process.execPath, [...flags, ...(process.env['PROFILE_NODE_FLAGS']?.split(' ').filter(Boolean) ?? []), fileURLToPath(new URL('./memory-worker.mjs', import.meta.url))], {
    env: { ...process.env, BENCH_URL: url, BENCH_WORKER_ID: workerId, BENCH_MEMORY_JOBS: String(jobs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const samples: { t: number; done: number; rss: number; commits: number; cpuMs: number }[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (buffered + chunk.toString()).split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('{')) samples.push((JSON.parse(line) as { sample: (typeof samples)[number] }).sample);
    if (process.env['PROFILE_TRACE']) for (const line of lines) if (line.startsWith('{')) console.error(line);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`worker exited with ${code}`);
  const first = samples[1] ?? samples[0]!;
  const last = samples[samples.length - 1]!;
  const mb = (b: number) => Math.round(b / 1048576);
  console.log(
    `${jobs} jobs at concurrency 100: ${Math.round(((last.done - first.done) / (last.t - first.t)) * 1000)} jobs/s (from the first sample after start), RSS max ${mb(Math.max(...samples.map((s) => s.rss)))} MB, ` +
      `${(last.commits / last.done).toFixed(2)} LMDB commits per job, worker CPU ${Math.round((last.cpuMs * 1000) / last.done)} µs per job`,
  );
} finally {
  await connection.close();
  deleteVhost(vhost);
}
