// Specs of toHealthReport(): every rule that maps the workers' dependency state to live, ready, started,
// the overall status and the checks, and that descriptions and data carry no configuration.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RedisHealth } from '../../../lib/control/redis/create-redis-cancellation.ts';
import type { OutboxHealth } from '../../../lib/outbox/create-outbox.ts';
import { toHealthReport, type HealthCheck, type HealthReport } from '../../../lib/host/health/to-health-report.ts';
import type { WorkerHealth } from '../../../lib/worker/create-amqp-worker.ts';

const NOW = 1_700_000_000_000;
const STARTED = NOW - 60_000;

const redis = (overrides: Partial<RedisHealth> = {}): RedisHealth => ({
  state: 'connected',
  address: 'redis://cache.internal:6379/0',
  since: NOW - 12_345,
  lastError: undefined,
  cancellationsReceived: 4,
  ignoredMessages: 1,
  ...overrides,
});
const outbox = (overrides: Partial<OutboxHealth> = {}): OutboxHealth => ({ pending: 3, pendingBytes: 1_200, oldestAgeMs: 2_500, full: false, reason: undefined, disk: { state: 'ok', roomBytes: 50 * 1024 ** 3, reason: undefined }, ...overrides });
const worker = (overrides: Partial<WorkerHealth> = {}): WorkerHealth => ({
  rabbitmq: { consume: true, publish: true },
  consuming: true,
  redis: redis(),
  outbox: outbox(),
  runningJobs: 2,
  stopping: false,
  heartbeat: { silentSince: NOW - 3_000 },
  ...overrides,
});

const check = (report: HealthReport, name: string): HealthCheck => {
  const found = report.checks.find((c) => c.name === name);
  assert.ok(found, `no check named ${name} in ${report.checks.map((c) => c.name).join(', ')}`);
  return found;
};
const flags = (r: HealthReport) => ({ live: r.live, ready: r.ready, started: r.started, status: r.status });

describe('toHealthReport()', () => {
  it('reports a healthy started worker as live, ready and Healthy with Worker, RabbitMQ, Outbox and Redis checks', () => {
    const report = toHealthReport([worker()], NOW, STARTED);
    assert.deepEqual(flags(report), { live: true, ready: true, started: true, status: 'Healthy' });
    assert.deepEqual(report.checks.map((c) => [c.name, c.status]), [
      ['Worker', 'Healthy'],
      ['RabbitMQ', 'Healthy'],
      ['Outbox', 'Healthy'],
      ['Redis', 'Healthy'],
    ]);
    assert.deepEqual(check(report, 'Worker').data, { runningJobs: 2, stopping: false });
    assert.deepEqual(check(report, 'RabbitMQ').data, { consume: true, publish: true, consuming: true });
    assert.deepEqual(check(report, 'Outbox').data, { pending: 3, pendingBytes: 1_200, oldestAgeSeconds: 2.5, full: false, disk: 'ok', diskRoomBytes: 50 * 1024 ** 3 });
    assert.deepEqual(check(report, 'Redis').data, { state: 'connected', stateAgeSeconds: 12.3, cancellationsReceived: 4, ignoredMessages: 1 });
  });

  it('is not started, and so not ready, until startedAt is defined (but live)', () => {
    const report = toHealthReport([worker()], NOW, undefined);
    assert.deepEqual(flags(report), { live: true, ready: false, started: false, status: 'Healthy' });
  });

  for (const [consume, publish, words] of [
    [false, true, 'The consume connection is down'],
    [true, false, 'The publish connection is down'],
    [false, false, 'The consume and publish connections are down'],
  ] as const) {
    it(`makes RabbitMQ Unhealthy and the process not ready but live when consume=${consume} publish=${publish}`, () => {
      const report = toHealthReport([worker({ rabbitmq: { consume, publish } })], NOW, STARTED);
      assert.deepEqual(flags(report), { live: true, ready: false, started: true, status: 'Unhealthy' });
      const rabbit = check(report, 'RabbitMQ');
      assert.equal(rabbit.status, 'Unhealthy');
      assert.match(rabbit.description, new RegExp(`^${words}; the client reconnects by itself$`));
      assert.deepEqual(rabbit.data, { consume, publish, consuming: true });
    });
  }

  it('makes a full outbox Unhealthy and the process not ready but live, saying why', () => {
    const full = outbox({ pending: 100_000, oldestAgeMs: 61_000, full: true, reason: '100000 entries pending (limit 100000)' });
    const report = toHealthReport([worker({ outbox: full })], NOW, STARTED);
    assert.deepEqual(flags(report), { live: true, ready: false, started: true, status: 'Unhealthy' });
    const c = check(report, 'Outbox');
    assert.equal(c.status, 'Unhealthy');
    assert.match(c.description, /takes no new jobs until RabbitMQ accepts the backlog/);
    assert.match(c.description, /100000 entries pending, the oldest 61 s old/);
    assert.doesNotMatch(c.description, /limit/, 'the configured limit is config, not state');
    assert.deepEqual(c.data, { pending: 100_000, pendingBytes: 1_200, oldestAgeSeconds: 61, full: true, disk: 'ok', diskRoomBytes: 50 * 1024 ** 3 });
  });

  for (const state of ['full', 'failing'] as const) {
    it(`makes an outbox whose disk is ${state} Unhealthy and the process not ready, naming the folder by its key, never its path`, () => {
      const reason = `the outbox cannot write to /var/lib/secret-folder: Input/output error (EIO)`;
      const report = toHealthReport([worker({ consuming: false, outbox: outbox({ full: true, reason, disk: { state, roomBytes: 2 * 1024 ** 2, reason } }) })], NOW, STARTED);
      assert.deepEqual(flags(report), { live: true, ready: false, started: true, status: 'Unhealthy' });
      const c = check(report, 'Outbox');
      assert.equal(c.status, 'Unhealthy');
      assert.match(c.description, state === 'full' ? /^The outbox has no room left in its folder/ : /^The outbox cannot write to its folder/);
      assert.match(c.description, /\(OfflineResilience:LocalStoragePath, 2 MB left\): the worker takes no new jobs until it can write again, and keeps sending the 3 entries it holds/);
      assert.doesNotMatch(c.description, /secret-folder|EIO/, 'no paths and no error texts in a probe');
      assert.deepEqual([c.data['disk'], c.data['diskRoomBytes']], [state, 2 * 1024 ** 2]);
      assert.equal(check(report, 'RabbitMQ').status, 'Healthy', 'consumers paused by the outbox are not a broker problem');
    });
  }

  it('makes an outbox whose disk is nearly full Degraded: still ready', () => {
    const report = toHealthReport([worker({ outbox: outbox({ reason: 'nearly full', disk: { state: 'low', roomBytes: 300 * 1024 ** 2, reason: 'nearly full' } }) })], NOW, STARTED);
    assert.deepEqual(flags(report), { live: true, ready: true, started: true, status: 'Degraded' });
    assert.equal(check(report, 'Outbox').description, '3 entries pending; the disk of its folder is nearly full (OfflineResilience:LocalStoragePath, 300 MB left)');
  });

  for (const state of ['degraded', 'connecting', 'closed'] as const) {
    it(`makes Redis ${state} Degraded: overall Degraded, still ready and live`, () => {
      const report = toHealthReport([worker({ redis: redis({ state, lastError: 'connect ECONNREFUSED 10.1.2.3:6379' }) })], NOW, STARTED);
      assert.deepEqual(flags(report), { live: true, ready: true, started: true, status: 'Degraded' });
      const c = check(report, 'Redis');
      assert.equal(c.status, 'Degraded');
      assert.match(c.description, /jobs keep running, cancellation from the dashboard is paused/);
      assert.equal(c.data['state'], state);
    });
  }

  it('leaves disabled Redis and a disabled outbox out of the checks', () => {
    const report = toHealthReport([worker({ redis: 'disabled', outbox: 'disabled' })], NOW, STARTED);
    assert.deepEqual(report.checks.map((c) => c.name), ['Worker', 'RabbitMQ']);
    assert.deepEqual(flags(report), { live: true, ready: true, started: true, status: 'Healthy' });
  });

  it('makes a stopping worker Unhealthy and not ready; live turns false once every worker is stopping', () => {
    const one = toHealthReport([worker({ stopping: true, runningJobs: 1 })], NOW, STARTED);
    assert.deepEqual(flags(one), { live: false, ready: false, started: true, status: 'Unhealthy' });
    assert.equal(check(one, 'Worker').description, 'Stopping: takes no new jobs, 1 still running');
    assert.deepEqual(check(one, 'Worker').data, { runningJobs: 1, stopping: true });

    const mixed = toHealthReport([worker({ stopping: true }), worker()], NOW, STARTED);
    assert.deepEqual(flags(mixed), { live: true, ready: false, started: true, status: 'Unhealthy' });
  });

  it('suffixes check names with the 1-based worker number when there are several workers', () => {
    const report = toHealthReport([worker({ redis: 'disabled' }), worker({ rabbitmq: { consume: true, publish: false } })], NOW, STARTED);
    assert.deepEqual(report.checks.map((c) => `${c.name}=${c.status}`), [
      'Worker (worker 1)=Healthy',
      'RabbitMQ (worker 1)=Healthy',
      'Outbox (worker 1)=Healthy',
      'Worker (worker 2)=Healthy',
      'RabbitMQ (worker 2)=Unhealthy',
      'Outbox (worker 2)=Healthy',
      'Redis (worker 2)=Healthy',
    ]);
    assert.equal(report.ready, false);
  });

  it('takes the worst check as the status: Unhealthy beats Degraded', () => {
    const report = toHealthReport([worker({ redis: redis({ state: 'degraded' }), rabbitmq: { consume: false, publish: true } })], NOW, STARTED);
    assert.equal(report.status, 'Unhealthy');
    assert.equal(report.ready, false);
  });

  it('with no worker yet is live but not ready, with one Unhealthy Worker check', () => {
    const report = toHealthReport([], NOW, STARTED);
    assert.deepEqual(flags(report), { live: true, ready: false, started: true, status: 'Unhealthy' });
    assert.deepEqual(report.checks.map((c) => [c.name, c.status]), [['Worker', 'Unhealthy']]);
  });

  it('never puts an error text, host or limit in descriptions or data, and clamps ages at 0', () => {
    const secretish = { lastError: 'WRONGPASS invalid password for redis://admin:hunter2@cache.internal:6380', since: NOW + 5_000, state: 'degraded' as const };
    const report = toHealthReport(
      [worker({ redis: redis(secretish), outbox: outbox({ full: true, reason: 'oldest entry is 3600 s old (limit 3600 s)' }) })],
      NOW,
      STARTED,
    );
    const text = JSON.stringify(report);
    for (const leak of ['hunter2', 'cache.internal', 'WRONGPASS', 'limit', 'lastError', 'reason']) assert.ok(!text.includes(leak), `report leaks ${leak}: ${text}`);
    assert.equal(check(report, 'Redis').data['stateAgeSeconds'], 0);
    for (const c of report.checks) {
      for (const value of Object.values(c.data)) assert.ok(['number', 'boolean', 'string'].includes(typeof value), `${c.name} data holds only scalars`);
    }
  });

  it('is pure: the same input gives the same report', () => {
    const input = [worker()];
    assert.deepEqual(toHealthReport(input, NOW, STARTED), toHealthReport(input, NOW, STARTED));
  });
});

describe('toHealthReport: consumers and the event loop', () => {
  it('is not ready while connected but not consuming, unless the outbox paused intake or it is stopping', () => {
    const idle = toHealthReport([worker({ consuming: false })], NOW, NOW - 1000);
    assert.equal(idle.ready, false);
    assert.equal(idle.checks.find((c) => c.name === 'RabbitMQ')!.status, 'Unhealthy');
    const paused = toHealthReport([worker({ consuming: false, outbox: outbox({ full: true }) })], NOW, NOW - 1000);
    assert.equal(paused.checks.find((c) => c.name === 'RabbitMQ')!.status, 'Healthy');
    assert.equal(paused.checks.find((c) => c.name === 'Outbox')!.status, 'Unhealthy');
  });

  it('is not live after the event loop was blocked beyond the threshold', () => {
    const ok = toHealthReport([worker()], NOW, NOW - 1000, { loop: { maxDelayMs: 40, thresholdMs: 5000 } });
    assert.equal(ok.live, true);
    assert.equal(ok.checks.find((c) => c.name === 'EventLoop')!.status, 'Healthy');
    const stalled = toHealthReport([worker()], NOW, NOW - 1000, { loop: { maxDelayMs: 7000, thresholdMs: 5000 } });
    assert.equal(stalled.live, false);
    assert.match(stalled.checks.find((c) => c.name === 'EventLoop')!.description, /blocked for 7000 ms/);
  });
});

describe('toHealthReport: heartbeats silent while connected (Worker:HealthCheck:MaxHeartbeatSilenceSeconds)', () => {
  const LIMIT = 120_000;
  const silentFor = (ms: number) => worker({ heartbeat: { silentSince: NOW - ms } });

  it('stays live and ready up to the limit, with a Healthy Heartbeat check after RabbitMQ', () => {
    const report = toHealthReport([silentFor(LIMIT)], NOW, STARTED, { maxHeartbeatSilenceMs: LIMIT });
    assert.deepEqual(flags(report), { live: true, ready: true, started: true, status: 'Healthy' });
    assert.deepEqual(report.checks.map((c) => c.name), ['Worker', 'RabbitMQ', 'Heartbeat', 'Outbox', 'Redis']);
    assert.deepEqual(check(report, 'Heartbeat').data, { due: true, silentSeconds: 120 });
  });

  it('is not live, not ready and Unhealthy once silent past the limit, saying which key sets it', () => {
    const report = toHealthReport([silentFor(LIMIT + 1)], NOW, STARTED, { maxHeartbeatSilenceMs: LIMIT });
    assert.deepEqual(flags(report), { live: false, ready: false, started: true, status: 'Unhealthy' });
    assert.equal(check(report, 'Heartbeat').status, 'Unhealthy');
    assert.match(check(report, 'Heartbeat').description, /no heartbeat has got through for 120 s \(Worker:HealthCheck:MaxHeartbeatSilenceSeconds\)/);
  });

  it('one silent worker of several makes the process not live (a restart is what brings it back)', () => {
    const report = toHealthReport([worker(), silentFor(LIMIT * 2)], NOW, STARTED, { maxHeartbeatSilenceMs: LIMIT });
    assert.equal(report.live, false);
    assert.equal(check(report, 'Heartbeat (worker 1)').status, 'Healthy');
    assert.equal(check(report, 'Heartbeat (worker 2)').status, 'Unhealthy');
  });

  it('counts no silence while none is due (not started, publish connection down) or once stopping', () => {
    for (const w of [worker({ heartbeat: { silentSince: undefined } }), worker({ stopping: true, heartbeat: { silentSince: NOW - LIMIT * 10 } })]) {
      const report = toHealthReport([w, worker()], NOW, STARTED, { maxHeartbeatSilenceMs: LIMIT });
      assert.equal(report.live, true, JSON.stringify(w));
      assert.deepEqual(check(report, 'Heartbeat (worker 1)').data, { due: false, silentSeconds: 0 });
    }
  });

  it('has no Heartbeat check and no such rule without a limit, or with 0', () => {
    for (const limits of [{}, { maxHeartbeatSilenceMs: 0 }]) {
      const report = toHealthReport([silentFor(LIMIT * 10)], NOW, STARTED, limits);
      assert.equal(report.live, true);
      assert.ok(!report.checks.some((c) => c.name === 'Heartbeat'));
    }
  });
});

describe('toHealthReport: rate limits', () => {
  it('has no RateLimit check for a worker without a rate-limited job', () => {
    assert.equal(toHealthReport([worker()], NOW, STARTED).checks.some((c) => c.name === 'RateLimit'), false);
  });

  it('is Healthy while jobs wait for their turn, and Degraded (still ready and live) once a job type has waited without a break past a minute', () => {
    const briefly = toHealthReport([worker({ rateLimits: [{ job: 'CallApiJob', waiting: 4, busySince: NOW - 5_000 }] })], NOW, STARTED);
    assert.deepEqual(check(briefly, 'RateLimit'), { name: 'RateLimit', status: 'Healthy', description: '4 jobs waiting for their turn', data: { CallApiJob: { waiting: 4, busySeconds: 5 } } });
    const saturated = toHealthReport(
      [worker({ rateLimits: [{ job: 'CallApiJob', waiting: 9, busySince: NOW - 61_000 }, { job: 'SendEmailJob', waiting: 1, busySince: NOW - 1_000 }] })],
      NOW,
      STARTED,
    );
    assert.equal(check(saturated, 'RateLimit').status, 'Degraded');
    assert.match(check(saturated, 'RateLimit').description, /^CallApiJob: jobs have waited for their rate limit without a break for over 60 s/);
    assert.deepEqual(flags(saturated), { live: true, ready: true, started: true, status: 'Degraded' });
  });
});
