// `npm run bench:cancellation`: latency from a cancel published on Redis to the job's signal being aborted,
// over 1,000 cancels, next to a plain Redis PUBLISH→message round trip measured in the same run.
import { createClient } from 'redis';
import { createAbortHandle } from '../../lib/core/engine/create-abort-handle.ts';
import { createCancellationRegistry } from '../../lib/core/engine/create-cancellation-registry.ts';
import { silentLogger } from '../../lib/create-logger.ts';
import { createRedisCancellation } from '../../lib/control/redis/create-redis-cancellation.ts';

const N = Number(process.env['BENCH_CANCELS'] ?? 1000);
const channel = `bench:${process.pid}:cancellation_channel`;
const rawChannel = `${channel}:raw`;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

const registry = createCancellationRegistry();
const listener = createRedisCancellation({ settings: { connectionString: '127.0.0.1:6379', cancellationChannel: channel }, registry, logger: silentLogger });
if (!(await listener.start())) throw new Error('Redis at 127.0.0.1:6379 is not reachable');
const publisher = createClient({ url: 'redis://127.0.0.1:6379' });
publisher.on('error', () => undefined);
await publisher.connect();
const rawSubscriber = publisher.duplicate();
rawSubscriber.on('error', () => undefined);
await rawSubscriber.connect();
let rawArrived: (() => void) | undefined;
await rawSubscriber.subscribe(rawChannel, () => rawArrived?.());

const cancel: number[] = [];
const raw: number[] = [];
for (let i = 0; i < N; i++) {
  // The runtime's path: PUBLISH → subscriber → parse → registry → abort handle → signal listeners.
  const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const handle = createAbortHandle();
  registry.register(id, handle);
  const aborted = new Promise<number>((resolve) => handle.signal.addEventListener('abort', () => resolve(performance.now()), { once: true }));
  const t0 = performance.now();
  await publisher.publish(channel, JSON.stringify({ CorrelationId: id, OccurrenceId: id, JobId: id, Reason: 'bench' }));
  cancel.push((await aborted) - t0);
  registry.unregister(id, handle);
  // Baseline, interleaved: the same PUBLISH reaching a bare subscriber.
  const arrived = new Promise<number>((resolve) => (rawArrived = () => resolve(performance.now())));
  const t1 = performance.now();
  await publisher.publish(rawChannel, 'x');
  raw.push((await arrived) - t1);
}

const row = (name: string, xs: number[]) =>
  `${name.padEnd(40)} p50 ${quantile(xs, 0.5).toFixed(3)} ms  p95 ${quantile(xs, 0.95).toFixed(3)} ms  p99 ${quantile(xs, 0.99).toFixed(3)} ms  max ${Math.max(...xs).toFixed(3)} ms`;
console.log(`cancellation latency: ${N} cancels, one at a time, node ${process.version}`);
console.log(row('Redis publish → job signal aborted', cancel));
console.log(row('Redis publish → bare subscriber (baseline)', raw));
console.log(`p99 target ≤ 20 ms: ${quantile(cancel, 0.99) <= 20 ? 'met' : 'MISSED'}`);
if (process.env['BENCH_JSON']) {
  const stats = (xs: number[]) => ({ p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), p99: quantile(xs, 0.99), max: Math.max(...xs) });
  console.log(JSON.stringify({ cancellation: { cancels: N, runtime: stats(cancel), baseline: stats(raw) } }));
}
await rawSubscriber.close();
await publisher.close();
await listener.close();
