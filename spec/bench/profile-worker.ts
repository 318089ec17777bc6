// `npm run bench:profile [-- --cpu-prof]`: the worker alone (spec/bench/memory-worker.mjs, a child process
// that loads only the built package, dist/; the script builds it first) runs PROFILE_JOBS (50,000) pre-loaded no-op jobs at concurrency 100 and prints
// jobs/s. --cpu-prof leaves a V8 CPU profile of the worker in ./profiles and prints the worker's CPU per job split
// by stage (profile-stages.ts: receive and parse, validate, pipeline, outbox append, relay and publish, ack,
// finished records); PROFILE_TRACE=1 prints its
// samples (memory, outbox backlog, CPU); PROFILE_NODE_FLAGS passes flags to its node (V8 tuning).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from 'rabbitmq-client';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { prefillJobQueue } from './declare-job-queue.ts';
import { splitByStage, type CpuProfile } from './profile-stages.ts';

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
  if (cpuProf) printStages(jobs, Math.round((last.cpuMs * 1000) / last.done));
} finally {
  await connection.close();
  deleteVhost(vhost);
}

/** Prints the newest profile's split by stage: sampled µs per job and share of the busy time. */
function printStages(jobs: number, cpuPerJobUs: number): void {
  const dir = 'profiles';
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (newest === undefined) throw new Error('no .cpuprofile in ./profiles');
  const split = splitByStage(JSON.parse(readFileSync(newest, 'utf8')) as CpuProfile);
  console.log(`worker CPU per job by stage (${newest}; sampled on the main thread, the process's CPU was ${cpuPerJobUs} µs per job):`);
  console.log('| stage | µs per job | share of busy time |\n| --- | --- | --- |');
  for (const { stage, ms, share } of split) console.log(`| ${stage} | ${Math.round((ms * 1000) / jobs)} | ${stage === 'idle' ? '' : `${(share * 100).toFixed(1)} %`} |`);
  const stages = split.map(({ stage, ms, share }) => ({ stage, microsPerJob: Math.round((ms * 1000) / jobs), share: stage === 'idle' ? null : Math.round(share * 1000) / 10 }));
  if (process.env['BENCH_JSON']) console.log(JSON.stringify({ profile: { jobs, concurrency: 100, cpuMicrosPerJob: cpuPerJobUs, command: 'npm run bench:profile -- --cpu-prof', stages } }));
}
