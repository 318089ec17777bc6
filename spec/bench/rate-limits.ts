// `npm run bench:limits`: what a rate limit costs a job. A process's own limit: CPU per reservation. A limit shared
// through Redis (one EVAL per job, on the local Redis): the round trip one at a time, against a PING on the same
// client measured in the same run, and reservations per second with 100 in flight (a worker at concurrency 100).
// A cap across processes (MaxParallelJobsGlobal): a slot taken and given back per job (an EVAL and a ZREM).
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';
import { createRateLimiter } from '../../lib/core/engine/create-rate-limiter.ts';
import { createSharedRateLimits } from '../../lib/control/redis/create-shared-rate-limits.ts';
import { createSharedSlots } from '../../lib/control/redis/create-shared-slots.ts';

const N = Number(process.env['BENCH_LIMIT_CALLS'] ?? 5000);
const REDIS = process.env['BENCH_REDIS'] ?? 'redis://127.0.0.1:6379';
// Turns far apart would make the figures wait: a limit no bench reaches.
const limit = { count: 1e9, periodSeconds: 1 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

// A process's own limit.
const local = createRateLimiter();
let c0 = cpuMicros();
for (let i = 0; i < 200_000; i++) local.reserve(`job:${i % 100}`, limit);
const localNs = Math.round(((cpuMicros() - c0) * 1000) / 200_000);

// The shared limit, against a PING on a plain client of the same Redis.
const store = createSharedRateLimits({ settings: { connectionString: REDIS }, workerId: `bench-limits-${process.pid}`, logger: { debug() {}, info() {}, warn() {}, error() {} } });
store.start();
for (let tries = 0; (await store.reserve('warmup', limit)) === undefined; tries++) {
  if (tries > 100) throw new Error(`Redis at ${REDIS} did not answer`);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const ping = createClient({ url: REDIS });
await ping.connect();
const slots = createSharedSlots({ settings: { connectionString: REDIS }, workerId: `bench-limits-${process.pid}`, holder: 'bench', logger: { debug() {}, info() {}, warn() {}, error() {} } });
slots.start();
while ((await slots.acquire('warmup', 1e9)) === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
const slotRounds = { micros: [] as number[], cpu: [] as number[] };
const rounds = { reserve: [] as number[], ping: [] as number[], reserveCpu: [] as number[], pingCpu: [] as number[], parallel: [] as number[], parallelCpu: [] as number[] };
for (let round = 0; round < 3; round++) {
  let t0 = performance.now();
  c0 = cpuMicros();
  for (let i = 0; i < N; i++) await ping.ping();
  rounds.ping.push(((performance.now() - t0) * 1000) / N);
  rounds.pingCpu.push((cpuMicros() - c0) / N);
  t0 = performance.now();
  c0 = cpuMicros();
  for (let i = 0; i < N; i++) await store.reserve('CallApiJob', limit);
  rounds.reserve.push(((performance.now() - t0) * 1000) / N);
  rounds.reserveCpu.push((cpuMicros() - c0) / N);
  t0 = performance.now();
  c0 = cpuMicros();
  let next = 0;
  await Promise.all(Array.from({ length: 100 }, async () => {
    while (next++ < N) await store.reserve('CallApiJob', limit);
  }));
  rounds.parallel.push(N / ((performance.now() - t0) / 1000));
  rounds.parallelCpu.push((cpuMicros() - c0) / N);
  t0 = performance.now();
  c0 = cpuMicros();
  for (let i = 0; i < N; i++) {
    const lease = await slots.acquire('ChargeJob', 1e9);
    if (lease) lease.release();
  }
  slotRounds.micros.push(((performance.now() - t0) * 1000) / N);
  slotRounds.cpu.push((cpuMicros() - c0) / N);
}
await slots.close();
await ping.close();
await store.close();

const figures = {
  localReserveNs: localNs,
  sharedReserveMicros: Math.round(median(rounds.reserve)),
  sharedReserveCpuMicros: Math.round(median(rounds.reserveCpu)),
  pingMicros: Math.round(median(rounds.ping)),
  pingCpuMicros: Math.round(median(rounds.pingCpu)),
  sharedReservationsPerSecondAt100: Math.round(median(rounds.parallel)),
  sharedReserveCpuMicrosAt100: Math.round(median(rounds.parallelCpu)),
  globalSlotMicros: Math.round(median(slotRounds.micros)),
  globalSlotCpuMicros: Math.round(median(slotRounds.cpu)),
};
console.log(`rate limits, ${N} reservations per round, 3 rounds (medians):`);
console.log(`  a process's own limit: ${figures.localReserveNs} ns of CPU per job`);
console.log(`  a shared limit (one EVAL on ${REDIS.replace(/\/\/[^@]*@/, '//')}): ${figures.sharedReserveMicros} µs per job one at a time (PING on the same Redis: ${figures.pingMicros} µs), ${figures.sharedReserveCpuMicros} µs of worker CPU per job (PING: ${figures.pingCpuMicros} µs); ${figures.sharedReservationsPerSecondAt100} reservations/s with 100 in flight, ${figures.sharedReserveCpuMicrosAt100} µs of worker CPU each`);
console.log(`  a cap across processes (MaxParallelJobsGlobal): a slot taken before the job ${figures.globalSlotMicros} µs one at a time, ${figures.globalSlotCpuMicros} µs of worker CPU per job (its release, a ZREM, is not waited for)`);
if (process.env['BENCH_JSON']) console.log(JSON.stringify({ rateLimits: figures }));
