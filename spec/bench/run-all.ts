// `npm run bench`: runs every benchmark program one after another (never in parallel: they share two
// cores), prints their figures, and collects the JSON lines they print into bench-results.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

// The profile runs last: throughput.ts builds dist/, which it loads. Defaults finish in about 10 minutes on two
// cores; BENCH_LONG=1 adds the long memory runs (1,000,000 jobs, and 200,000 from lib/ under tsx).
const programs: readonly (readonly [string, ...string[]])[] = [['pipeline.ts'], ['outbox.ts'], ['cancellation.ts'], ['rate-limits.ts'], ['throughput.ts'], ['profile-worker.ts', '--cpu-prof']];
const results: Record<string, unknown> = {};
const version = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 20_000 }).trim().split('\n')[0];
  } catch {
    return 'unknown';
  }
};

// `npm run bench -- --summary`: print the summary of the last bench-results.json without running anything.
const summaryOnly = process.argv.includes('--summary');
if (summaryOnly && existsSync('bench-results.json')) Object.assign(results, JSON.parse(readFileSync('bench-results.json', 'utf8')) as Record<string, unknown>);
const started = Date.now();
for (const [program, ...args] of summaryOnly ? [] : programs) {
  const file = fileURLToPath(new URL(`./${program}`, import.meta.url));
  if (!existsSync(file)) continue;
  console.log(`\n=== ${program}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { encoding: 'utf8', env: { PROFILE_JOBS: '30000', ...process.env, BENCH_JSON: '1' }, timeout: 120 * 60_000 });
  for (const line of run.stdout.split('\n')) {
    if (line.startsWith('{')) Object.assign(results, JSON.parse(line) as Record<string, unknown>);
    else if (line.trim() !== '') console.log(line);
  }
  if (run.status !== 0) {
    console.error(run.stderr);
    process.exitCode = 1;
  }
}

const machine = {
  cores: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  rabbitmq: version('rabbitmqctl', ['version']),
  redis: version('redis-server', ['--version']),
};
const summary = summarize(results);
if (summary.length > 0) {
  console.log('\n=== summary (medians; every baseline measured in the same run as its figure)');
  const widths = [58, 34, 38];
  console.log(['figure', 'value', 'baseline, same run'].map((h, i) => h.padEnd(widths[i]!)).join(''));
  for (const r of summary) console.log([r.figure, r.value, r.baseline].map((c, i) => c.padEnd(widths[i]!)).join(''));
}
if (!summaryOnly) {
  const minutes = Math.round((Date.now() - started) / 6000) / 10;
  writeFileSync('bench-results.json', JSON.stringify({ machine, at: new Date().toISOString(), minutes, ...results, summary }, null, 2) + '\n');
  console.log(`\nall programs took ${minutes} minutes`);
  console.log('\nwrote bench-results.json');
}

/** One row per headline figure of the programs that ran; a program that did not run leaves no row. */
function summarize(r: Record<string, unknown>): { figure: string; value: string; baseline: string }[] {
  const rows: { figure: string; value: string; baseline: string }[] = [];
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const pipeline = r['pipeline'] as Record<string, { jobsPerSecond: number; microsPerJob: number }> | undefined;
  if (pipeline) {
    const bare = pipeline['executor, no middleware (baseline)']!;
    const mw = pipeline['executor, 5 default middleware']!;
    const embedded = pipeline['embedded transport, 5 middleware']!;
    rows.push({ figure: 'pipeline: executor + 5 default middleware', value: `${n(mw.jobsPerSecond)} jobs/s, ${mw.microsPerJob} µs/job`, baseline: `bare executor ${n(bare.jobsPerSecond)} jobs/s` });
    rows.push({ figure: 'pipeline: middleware overhead', value: `${(mw.microsPerJob - bare.microsPerJob).toFixed(2)} µs/job`, baseline: `target ≤ 5 µs/job` });
    rows.push({ figure: 'pipeline: whole embedded transport', value: `${n(embedded.jobsPerSecond)} jobs/s`, baseline: `×${(embedded.jobsPerSecond / bare.jobsPerSecond).toFixed(2)} of bare executor` });
  }
  type Ratio = { median: number };
  const outbox = r['outbox'] as { raw: { messagesPerSecond: Ratio }; write: { entriesPerSecond: Ratio; vsRaw: Ratio }; drainCoalesced: { entriesPerSecond: Ratio; vsRaw: Ratio }; drainUncoalesced: { entriesPerSecond: Ratio; vsRaw: Ratio } } | undefined;
  if (outbox) {
    const raw = `raw confirmed publish ${n(outbox.raw.messagesPerSecond.median)} msg/s`;
    rows.push({ figure: 'outbox: writes (LMDB)', value: `${n(outbox.write.entriesPerSecond.median)} entries/s (×${outbox.write.vsRaw.median.toFixed(2)})`, baseline: raw });
    rows.push({ figure: 'outbox: drain after an outage, coalescing on / off', value: `×${outbox.drainCoalesced.vsRaw.median.toFixed(2)} / ×${outbox.drainUncoalesced.vsRaw.median.toFixed(2)} of raw`, baseline: raw });
  }
  const cancellation = r['cancellation'] as { runtime: { p50: number; p99: number }; baseline: { p50: number; p99: number } } | undefined;
  if (cancellation) {
    const c = cancellation;
    rows.push({ figure: 'cancellation: Redis publish → job signal aborted', value: `p50 ${c.runtime.p50.toFixed(3)} ms, p99 ${c.runtime.p99.toFixed(3)} ms`, baseline: `bare subscriber p99 ${c.baseline.p99.toFixed(3)} ms` });
  }
  const throughput = r['throughput'] as Record<string, { raw: number; floor?: number; worker: number; bullmq: number; bullmqDurable?: number }> | undefined;
  const detail = r['throughputDetail'] as { ratios?: Record<string, { workerVsFloor?: Ratio }> } | undefined;
  if (throughput) {
    for (const [c, t] of Object.entries(throughput)) {
      const floor = detail?.ratios?.[c]?.workerVsFloor;
      const lead = floor === undefined || t.floor === undefined ? '' : `protocol floor ${n(t.floor)} (×${floor.median.toFixed(2)} per round), `;
      const durable = t.bullmqDurable === undefined ? '' : `, BullMQ with AOF ${n(t.bullmqDurable)} (×${(t.worker / t.bullmqDurable).toFixed(2)})`;
      rows.push({ figure: `end to end, concurrency ${c}: worker`, value: `${n(t.worker)} jobs/s`, baseline: `${lead}raw ${n(t.raw)} (×${(t.worker / t.raw).toFixed(2)}), BullMQ ${n(t.bullmq)} (×${(t.worker / t.bullmq).toFixed(2)})${durable}` });
    }
  }
  const latency = r['latency'] as { low: { rate: number; running: { p50: number; p99: number } }; high: { rate: number; running: { p50: number; p99: number } } } | undefined;
  if (latency) {
    for (const [label, l] of [['10%', latency.low], ['50%', latency.high]] as const) {
      rows.push({ figure: `dispatch → Running at ${label} load (${l.rate} jobs/s)`, value: `p50 ${l.running.p50} ms, p99 ${l.running.p99} ms`, baseline: label === '10%' ? 'target p99 ≤ 10 ms' : '' });
    }
  }
  for (const [key, label] of [['memory', 'built package'], ['memoryTsx', 'lib/ under tsx']] as const) {
    const m = r[key] as { jobs: number; steadyRssMb: { median: number; max: number }; idleRssMb: number; growthPercent: number } | undefined;
    if (m) rows.push({ figure: `memory at concurrency 100, ${label} (${n(m.jobs)} jobs)`, value: `steady RSS ${m.steadyRssMb.median} MB (max ${m.steadyRssMb.max})`, baseline: `${m.idleRssMb} MB before connecting; growth ${m.growthPercent}%` });
  }
  const cpu = (r['throughputDetail'] as { cpuPerJob100?: Record<string, { client: number }>; workerClientCpuVsFloor100?: number } | undefined) ?? {};
  if (cpu.cpuPerJob100?.['worker'] && cpu.cpuPerJob100['floor']) {
    rows.push({ figure: 'client CPU per job at concurrency 100: worker', value: `${cpu.cpuPerJob100['worker'].client} µs`, baseline: `protocol floor ${cpu.cpuPerJob100['floor'].client} µs (×${cpu.workerClientCpuVsFloor100?.toFixed(2) ?? '?'} per round)` });
  }
  const profile = r['profile'] as { cpuMicrosPerJob: number; stages: { stage: string; share: number | null }[] } | undefined;
  if (profile) {
    const top = profile.stages.filter((s) => s.share !== null).slice(0, 4).map((s) => `${s.stage} ${s.share} %`).join(', ');
    rows.push({ figure: 'worker alone (profile): CPU per job', value: `${profile.cpuMicrosPerJob} µs`, baseline: top });
  }
  return rows;
}
