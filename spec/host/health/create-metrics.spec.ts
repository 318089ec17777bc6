// Specs of createMetrics() on prom-client: the whole exposition parsed by a strict text-format parser, the
// default process metrics and the build info, the job counters and the cumulative duration histogram, the
// telemetry counters (dead letters, retries, outbox confirms), and the gauges observeHealth() sets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { register as globalRegistry } from 'prom-client';
import { CONFIRM_BUCKETS, createMetrics, DURATION_BUCKETS } from '../../../lib/host/health/create-metrics.ts';
import type { RedisHealth } from '../../../lib/control/redis/create-redis-cancellation.ts';
import type { WorkerHealth } from '../../../lib/worker/create-amqp-worker.ts';
import { parsePrometheusText, type ParsedExposition } from '../../support/parse-prometheus-text.ts';

const OWN_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Renders and parses strictly: any malformed line, undeclared or repeated family fails the spec. */
async function scrape(m: { render(): Promise<string> }): Promise<ParsedExposition> {
  return parsePrometheusText(await m.render());
}

const disk = { state: 'ok', roomBytes: undefined, reason: undefined } as const;
const redis = (state: RedisHealth['state']): RedisHealth => ({ state, address: 'redis://127.0.0.1:6379/0', since: 0, lastError: undefined, cancellationsReceived: 0, ignoredMessages: 0 });
const worker = (overrides: Partial<WorkerHealth> = {}): WorkerHealth => ({
  rabbitmq: { consume: true, publish: true },
  consuming: true,
  redis: redis('connected'),
  outbox: { pending: 0, pendingBytes: 0, oldestAgeMs: 0, full: false, reason: undefined, disk },
  heartbeat: { silentSince: undefined },
  runningJobs: 0,
  stopping: false,
  ...overrides,
});

describe('createMetrics()', () => {
  it('renders every worker family with HELP and TYPE, up = 1 and no jobs running before anything happened', async () => {
    const m = createMetrics();
    assert.equal(m.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    const x = await scrape(m);
    for (const [name, type] of [
      ['milvaion_worker_jobs_total', 'counter'],
      ['milvaion_worker_job_duration_seconds', 'histogram'],
      ['milvaion_worker_jobs_running', 'gauge'],
      ['milvaion_worker_outbox_pending', 'gauge'],
      ['milvaion_worker_outbox_oldest_age_seconds', 'gauge'],
      ['milvaion_worker_rabbitmq_connected', 'gauge'],
      ['milvaion_worker_redis_state', 'gauge'],
      ['milvaion_worker_up', 'gauge'],
      ['milvaion_worker_build_info', 'gauge'],
      ['milvaion_worker_dead_letters_total', 'counter'],
      ['milvaion_worker_retries_scheduled_total', 'counter'],
      ['milvaion_worker_outbox_published_total', 'counter'],
      ['milvaion_worker_outbox_confirm_seconds', 'histogram'],
    ]) {
      assert.equal(x.families.get(name!)?.type, type, `TYPE of ${name}`);
      assert.ok(x.families.get(name!)?.help, `HELP of ${name}`);
    }
    assert.equal(x.value('milvaion_worker_up'), 1);
    assert.equal(x.value('milvaion_worker_jobs_running'), 0);
    assert.equal(x.value('milvaion_worker_outbox_published_total'), 0);
    assert.equal(x.value('milvaion_worker_outbox_confirm_seconds_count'), 0);
    assert.deepEqual(x.samples('milvaion_worker_outbox_pending'), [], 'no outbox sample before a worker reports one');
  });

  it("includes Node's default process metrics and the build info with this package's version", async () => {
    const x = await scrape(createMetrics());
    assert.equal(x.families.get('process_resident_memory_bytes')?.type, 'gauge');
    assert.ok(x.value('process_resident_memory_bytes')! > 1_000_000, 'a resident set of more than 1 MB');
    assert.equal(x.families.get('nodejs_eventloop_lag_seconds')?.type, 'gauge');
    assert.ok(x.value('nodejs_eventloop_lag_seconds')! >= 0);
    for (const name of ['process_cpu_seconds_total', 'process_start_time_seconds', 'nodejs_heap_space_size_total_bytes', 'nodejs_gc_duration_seconds', 'nodejs_version_info']) {
      assert.ok(x.families.has(name), name);
    }
    const [info, ...more] = x.samples('milvaion_worker_build_info');
    assert.equal(more.length, 0);
    assert.deepEqual(info, { name: 'milvaion_worker_build_info', labels: { version: OWN_VERSION, node: process.version }, value: 1 });
  });

  it('counts outcomes per job, creating all eight outcome series of a job at 0 on first sight', async () => {
    const m = createMetrics();
    m.jobStarted();
    m.jobStarted();
    m.jobStarted();
    assert.equal((await scrape(m)).value('milvaion_worker_jobs_running'), 3);
    m.jobFinished('SendEmailJob', 'completed', 0.2);
    m.jobFinished('SendEmailJob', 'completed', 0.3);
    m.jobFinished('SendEmailJob', 'timed_out', 61);
    const x = await scrape(m);
    const total = (outcome: string) => x.value('milvaion_worker_jobs_total', { job: 'SendEmailJob', outcome });
    assert.equal(x.value('milvaion_worker_jobs_running'), 0);
    assert.equal(total('completed'), 2);
    assert.equal(total('timed_out'), 1);
    for (const outcome of ['failed', 'cancelled', 'invalid_data', 'unknown_job', 'skipped', 'retry_scheduled']) assert.equal(total(outcome), 0, outcome);
    m.jobStarted();
    m.jobFinished('SendEmailJob', 'completed', 0.1);
    assert.equal((await scrape(m)).value('milvaion_worker_jobs_total', { job: 'SendEmailJob', outcome: 'completed' }), 3, 'counts keep adding up across scrapes');
  });

  it('renders a cumulative duration histogram with le buckets 0.005…60, +Inf, _sum and _count', async () => {
    const m = createMetrics();
    for (const seconds of [0.001, 0.005, 0.3, 2.5, 75]) {
      m.jobStarted();
      m.jobFinished('ReportJob', 'completed', seconds);
    }
    const x = await scrape(m);
    const bucket = (le: string) => x.value('milvaion_worker_job_duration_seconds_bucket', { job: 'ReportJob', le });
    assert.deepEqual([...DURATION_BUCKETS], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);
    assert.equal(bucket('0.005'), 2, 'a value equal to a bound falls in that bucket');
    assert.equal(bucket('0.25'), 2);
    assert.equal(bucket('0.5'), 3);
    assert.equal(bucket('2.5'), 4);
    assert.equal(bucket('60'), 4);
    assert.equal(bucket('+Inf'), 5);
    assert.equal(x.value('milvaion_worker_job_duration_seconds_count', { job: 'ReportJob' }), 5);
    assert.ok(Math.abs(x.value('milvaion_worker_job_duration_seconds_sum', { job: 'ReportJob' })! - 77.806) < 1e-9);
    const les = x.samples('milvaion_worker_job_duration_seconds_bucket').map((s) => s.labels['le']);
    assert.deepEqual(les, [...DURATION_BUCKETS.map(String), '+Inf'], 'buckets in ascending order, +Inf last');
  });

  it('escapes backslash, double quote and line feed in label values', async () => {
    const m = createMetrics();
    m.jobStarted();
    m.jobFinished('a"b\\c\nd', 'failed', 0.01);
    const text = await m.render();
    assert.equal(parsePrometheusText(text).value('milvaion_worker_jobs_total', { job: 'a"b\\c\nd', outcome: 'failed' }), 1);
    assert.ok(text.includes('job="a\\"b\\\\c\\nd"'), 'escaped as the format requires');
    assert.ok(!text.includes('c\nd'), 'no raw line feed inside a sample');
  });

  it('counts dead letters by job and reason, scheduled retries by job, and outbox confirms with their latency', async () => {
    const m = createMetrics();
    m.deadLettered('EchoJob', 'malformed');
    m.deadLettered('EchoJob', 'malformed');
    m.deadLettered('EchoJob', 'too-large');
    m.deadLettered('ReportJob', 'retries-exhausted');
    m.retryScheduled('ReportJob');
    m.retryScheduled('ReportJob');
    for (const seconds of [0.0005, 0.004, 0.004, 0.2]) m.outboxConfirmed(seconds);
    const x = await scrape(m);
    assert.equal(x.value('milvaion_worker_dead_letters_total', { job: 'EchoJob', reason: 'malformed' }), 2);
    assert.equal(x.value('milvaion_worker_dead_letters_total', { job: 'EchoJob', reason: 'too-large' }), 1);
    assert.equal(x.value('milvaion_worker_dead_letters_total', { job: 'ReportJob', reason: 'retries-exhausted' }), 1);
    assert.equal(x.value('milvaion_worker_retries_scheduled_total', { job: 'ReportJob' }), 2);
    assert.equal(x.value('milvaion_worker_outbox_published_total'), 4);
    const bucket = (le: string) => x.value('milvaion_worker_outbox_confirm_seconds_bucket', { le });
    assert.deepEqual(x.samples('milvaion_worker_outbox_confirm_seconds_bucket').map((s) => s.labels['le']), [...CONFIRM_BUCKETS.map(String), '+Inf']);
    assert.deepEqual([bucket('0.001'), bucket('0.005'), bucket('0.1'), bucket('0.25'), bucket('+Inf')], [1, 3, 3, 4, 4]);
    assert.equal(x.value('milvaion_worker_outbox_confirm_seconds_count'), 4);
  });

  it('observeHealth() sums outbox backlogs, takes the oldest age, and ANDs the RabbitMQ connections', async () => {
    const m = createMetrics();
    m.observeHealth([
      worker({ outbox: { pending: 5, pendingBytes: 500, oldestAgeMs: 1_500, full: false, reason: undefined, disk } }),
      worker({ outbox: { pending: 7, pendingBytes: 700, oldestAgeMs: 9_000, full: false, reason: undefined, disk }, rabbitmq: { consume: true, publish: false } }),
      worker({ outbox: 'disabled' }),
    ]);
    const x = await scrape(m);
    assert.equal(x.value('milvaion_worker_outbox_pending'), 12);
    assert.equal(x.value('milvaion_worker_outbox_oldest_age_seconds'), 9);
    assert.equal(x.value('milvaion_worker_rabbitmq_connected', { connection: 'consume' }), 1);
    assert.equal(x.value('milvaion_worker_rabbitmq_connected', { connection: 'publish' }), 0);
  });

  it('observeHealth() sets 1 for the current Redis state, 0 for the others, disabled included', async () => {
    const m = createMetrics();
    const states = async () => {
      const x = await scrape(m);
      return ['connected', 'connecting', 'degraded', 'closed', 'disabled'].map((state) => x.value('milvaion_worker_redis_state', { state }));
    };
    m.observeHealth([worker({ redis: redis('degraded') })]);
    assert.deepEqual(await states(), [0, 0, 1, 0, 0]);
    m.observeHealth([worker({ redis: 'disabled' })]);
    assert.deepEqual(await states(), [0, 0, 0, 0, 1]);
  });

  it('observeHealth() drops the outbox samples when no worker has an outbox, and the RabbitMQ ones with no worker', async () => {
    const m = createMetrics();
    m.observeHealth([worker()]);
    assert.equal((await scrape(m)).value('milvaion_worker_outbox_pending'), 0);
    m.observeHealth([worker({ outbox: 'disabled' })]);
    let x = await scrape(m);
    assert.equal(x.value('milvaion_worker_outbox_pending'), undefined);
    assert.equal(x.value('milvaion_worker_outbox_oldest_age_seconds'), undefined);
    m.observeHealth([]);
    x = await scrape(m);
    assert.equal(x.value('milvaion_worker_rabbitmq_connected', { connection: 'consume' }), undefined);
  });

  it('observeHealth() sets up to 0 once every worker is stopping, as the liveness probe does', async () => {
    const m = createMetrics();
    m.observeHealth([worker({ stopping: true }), worker()]);
    assert.equal((await scrape(m)).value('milvaion_worker_up'), 1);
    m.observeHealth([worker({ stopping: true })]);
    assert.equal((await scrape(m)).value('milvaion_worker_up'), 0);
  });

  it("keeps registries independent, and out of prom-client's global registry", async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.jobStarted();
    a.jobFinished('OnlyInA', 'completed', 0.1);
    a.deadLettered('OnlyInA', 'malformed');
    assert.ok((await a.render()).includes('OnlyInA'));
    assert.ok(!(await b.render()).includes('OnlyInA'));
    assert.notEqual(a.registry, b.registry);
    assert.ok(!(await globalRegistry.metrics()).includes('milvaion_worker_'));
  });
});

describe('createMetrics(): rate limits', () => {
  it('counts the jobs waiting for a rate limit now, and how long those that waited waited, per job', async () => {
    const m = createMetrics();
    m.limitWaiting('CallApiJob', 1);
    m.limitWaiting('CallApiJob', 1);
    m.limitWaiting('CallApiJob', -1);
    m.limitWaited('CallApiJob', 0.3);
    const text = await m.render();
    assert.match(text, /^milvaion_worker_rate_limit_waiting\{job="CallApiJob"\} 1$/m);
    assert.match(text, /^milvaion_worker_rate_limit_wait_seconds_count\{job="CallApiJob"\} 1$/m);
    assert.match(text, /^milvaion_worker_rate_limit_wait_seconds_bucket\{le="0.25",job="CallApiJob"\} 0$/m);
    assert.match(text, /^milvaion_worker_rate_limit_wait_seconds_bucket\{le="0.5",job="CallApiJob"\} 1$/m);
  });
});
