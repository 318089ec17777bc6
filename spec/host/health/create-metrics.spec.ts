// Specs of createMetrics(): the exposition format (HELP/TYPE, one sample per line, label escaping), the
// job counters and the cumulative duration histogram, and the gauges observeHealth() sets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics, DURATION_BUCKETS } from '../../../lib/host/health/create-metrics.ts';
import type { RedisHealth } from '../../../lib/control/redis/create-redis-cancellation.ts';
import type { WorkerHealth } from '../../../lib/worker/create-amqp-worker.ts';

/** The value of the sample `name{labels}` in an exposition, or undefined when there is no such line. */
function valueOf(text: string, name: string, labels = ''): number | undefined {
  const prefix = `${name}${labels} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length).replace('+Inf', 'Infinity'));
}

const SAMPLE_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (-?[0-9.e+-]+|[+-]Inf|NaN)$/;

/** Checks every line is a HELP, a TYPE or a well-formed sample, and the text ends with a line feed. */
function assertWellFormed(text: string): void {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a line feed');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ') || /^# TYPE \S+ (counter|gauge|histogram)$/.test(line)) continue;
    assert.match(line, SAMPLE_LINE);
  }
}

const redis = (state: RedisHealth['state']): RedisHealth => ({ state, since: 0, lastError: undefined, cancellationsReceived: 0, ignoredMessages: 0 });
const worker = (overrides: Partial<WorkerHealth> = {}): WorkerHealth => ({
  rabbitmq: { consume: true, publish: true },
  consuming: true,
  redis: redis('connected'),
  outbox: { pending: 0, oldestAgeMs: 0, full: false, reason: undefined },
  runningJobs: 0,
  stopping: false,
  ...overrides,
});

describe('createMetrics()', () => {
  it('renders every family with HELP and TYPE, up = 1 and no jobs running before anything happened', () => {
    const text = createMetrics().render();
    assertWellFormed(text);
    for (const [name, type] of [
      ['milvaion_worker_jobs_total', 'counter'],
      ['milvaion_worker_job_duration_seconds', 'histogram'],
      ['milvaion_worker_jobs_running', 'gauge'],
      ['milvaion_worker_outbox_pending', 'gauge'],
      ['milvaion_worker_outbox_oldest_age_seconds', 'gauge'],
      ['milvaion_worker_rabbitmq_connected', 'gauge'],
      ['milvaion_worker_redis_state', 'gauge'],
      ['milvaion_worker_up', 'gauge'],
    ]) {
      assert.ok(text.includes(`# TYPE ${name} ${type}\n`), `TYPE of ${name}`);
      assert.ok(text.includes(`# HELP ${name} `), `HELP of ${name}`);
    }
    assert.equal(valueOf(text, 'milvaion_worker_up'), 1);
    assert.equal(valueOf(text, 'milvaion_worker_jobs_running'), 0);
  });

  it('counts outcomes per job, creating all eight outcome series of a job at 0 on first sight', () => {
    const m = createMetrics();
    m.jobStarted();
    m.jobStarted();
    m.jobStarted();
    assert.equal(valueOf(m.render(), 'milvaion_worker_jobs_running'), 3);
    m.jobFinished('SendEmailJob', 'completed', 0.2);
    m.jobFinished('SendEmailJob', 'completed', 0.3);
    m.jobFinished('SendEmailJob', 'timed_out', 61);
    const text = m.render();
    assertWellFormed(text);
    assert.equal(valueOf(text, 'milvaion_worker_jobs_running'), 0);
    assert.equal(valueOf(text, 'milvaion_worker_jobs_total', '{job="SendEmailJob",outcome="completed"}'), 2);
    assert.equal(valueOf(text, 'milvaion_worker_jobs_total', '{job="SendEmailJob",outcome="timed_out"}'), 1);
    for (const outcome of ['failed', 'cancelled', 'invalid_data', 'unknown_job', 'skipped', 'retry_scheduled']) {
      assert.equal(valueOf(text, 'milvaion_worker_jobs_total', `{job="SendEmailJob",outcome="${outcome}"}`), 0, outcome);
    }
  });

  it('renders a cumulative duration histogram with le buckets 0.005…60, +Inf, _sum and _count', () => {
    const m = createMetrics();
    for (const seconds of [0.001, 0.005, 0.3, 2.5, 75]) {
      m.jobStarted();
      m.jobFinished('ReportJob', 'completed', seconds);
    }
    const text = m.render();
    const bucket = (le: string) => valueOf(text, 'milvaion_worker_job_duration_seconds_bucket', `{job="ReportJob",le="${le}"}`);
    assert.deepEqual([...DURATION_BUCKETS], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);
    assert.equal(bucket('0.005'), 2, 'a value equal to a bound falls in that bucket');
    assert.equal(bucket('0.25'), 2);
    assert.equal(bucket('0.5'), 3);
    assert.equal(bucket('2.5'), 4);
    assert.equal(bucket('60'), 4);
    assert.equal(bucket('+Inf'), 5);
    assert.equal(valueOf(text, 'milvaion_worker_job_duration_seconds_count', '{job="ReportJob"}'), 5);
    assert.ok(Math.abs(valueOf(text, 'milvaion_worker_job_duration_seconds_sum', '{job="ReportJob"}')! - 77.806) < 1e-9);
    const les = text.split('\n').filter((l) => l.startsWith('milvaion_worker_job_duration_seconds_bucket')).map((l) => /le="([^"]+)"/.exec(l)?.[1]);
    assert.deepEqual(les, [...DURATION_BUCKETS.map(String), '+Inf'], 'buckets in ascending order, +Inf last');
  });

  it('escapes backslash, double quote and line feed in label values', () => {
    const m = createMetrics();
    m.jobStarted();
    m.jobFinished('a"b\\c\nd', 'failed', 0.01);
    const text = m.render();
    assertWellFormed(text);
    assert.equal(valueOf(text, 'milvaion_worker_jobs_total', '{job="a\\"b\\\\c\\nd",outcome="failed"}'), 1);
    assert.ok(!text.includes('c\nd'), 'no raw line feed inside a sample');
  });

  it('observeHealth() sums outbox backlogs, takes the oldest age, and ANDs the RabbitMQ connections', () => {
    const m = createMetrics();
    m.observeHealth([
      worker({ outbox: { pending: 5, oldestAgeMs: 1_500, full: false, reason: undefined } }),
      worker({ outbox: { pending: 7, oldestAgeMs: 9_000, full: false, reason: undefined }, rabbitmq: { consume: true, publish: false } }),
      worker({ outbox: 'disabled' }),
    ]);
    const text = m.render();
    assertWellFormed(text);
    assert.equal(valueOf(text, 'milvaion_worker_outbox_pending'), 12);
    assert.equal(valueOf(text, 'milvaion_worker_outbox_oldest_age_seconds'), 9);
    assert.equal(valueOf(text, 'milvaion_worker_rabbitmq_connected', '{connection="consume"}'), 1);
    assert.equal(valueOf(text, 'milvaion_worker_rabbitmq_connected', '{connection="publish"}'), 0);
  });

  it('observeHealth() sets 1 for the current Redis state, 0 for the others, disabled included', () => {
    const m = createMetrics();
    m.observeHealth([worker({ redis: redis('degraded') })]);
    let text = m.render();
    const state = (s: string) => valueOf(text, 'milvaion_worker_redis_state', `{state="${s}"}`);
    assert.deepEqual(['connected', 'connecting', 'degraded', 'closed', 'disabled'].map(state), [0, 0, 1, 0, 0]);
    m.observeHealth([worker({ redis: 'disabled' })]);
    text = m.render();
    assert.deepEqual(['connected', 'connecting', 'degraded', 'closed', 'disabled'].map(state), [0, 0, 0, 0, 1]);
  });

  it('observeHealth() drops the outbox samples when no worker has an outbox, and the RabbitMQ ones with no worker', () => {
    const m = createMetrics();
    m.observeHealth([worker()]);
    assert.equal(valueOf(m.render(), 'milvaion_worker_outbox_pending'), 0);
    m.observeHealth([worker({ outbox: 'disabled' })]);
    let text = m.render();
    assert.equal(valueOf(text, 'milvaion_worker_outbox_pending'), undefined);
    assert.equal(valueOf(text, 'milvaion_worker_outbox_oldest_age_seconds'), undefined);
    m.observeHealth([]);
    text = m.render();
    assert.equal(valueOf(text, 'milvaion_worker_rabbitmq_connected', '{connection="consume"}'), undefined);
    assertWellFormed(text);
  });

  it('observeHealth() sets up to 0 once every worker is stopping, as the liveness probe does', () => {
    const m = createMetrics();
    m.observeHealth([worker({ stopping: true }), worker()]);
    assert.equal(valueOf(m.render(), 'milvaion_worker_up'), 1);
    m.observeHealth([worker({ stopping: true })]);
    assert.equal(valueOf(m.render(), 'milvaion_worker_up'), 0);
  });

  it('keeps registries independent', () => {
    const a = createMetrics();
    const b = createMetrics();
    a.jobStarted();
    a.jobFinished('OnlyInA', 'completed', 0.1);
    assert.ok(a.render().includes('OnlyInA'));
    assert.ok(!b.render().includes('OnlyInA'));
  });
});
