// A worker started without a startup timeout runs without Redis when Redis is away, and says so only once it runs:
// the "not reachable yet" line comes after the consuming line, and nothing before it claims the worker runs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defineJob } from '../../lib/index.ts';
import { createAmqpHarness, type AmqpHarness } from '../support/amqp-harness.ts';
import { freePort } from '../support/free-port.ts';
import { needs } from '../support/services.ts';

describe('a worker whose Redis is away at start, without a startup timeout', { timeout: 60_000, ...needs('rabbitmq') }, () => {
  let h: AmqpHarness;
  before(async () => (h = await createAmqpHarness('redis-away')));
  after(() => h.close());

  it('starts, then says once that Redis is not reachable yet, naming the socket error', async () => {
    const port = await freePort();
    const worker = await h.startWorker({ jobs: [defineJob({ name: 'EchoJob', run: () => 'ok' })], startupTimeoutSeconds: 0, redis: { connectionString: `127.0.0.1:${port}` } });
    const lines = h.logger.texts();
    const consuming = lines.findIndex((l) => /Worker \S+ consuming/.test(l));
    const missing = lines.findIndex((l) => l.includes('not reachable yet'));
    assert.ok(consuming >= 0 && missing > consuming, lines.join('\n'));
    assert.match(lines[missing]!, new RegExp(`Redis redis://127\\.0\\.0\\.1:${port}/0 not reachable yet \\(.*ECONNREFUSED.*\\): the worker runs`));
    assert.equal(lines.filter((l) => /the worker runs|jobs keep running/.test(l)).length, 1, lines.join('\n'));
    const redis = worker.health().redis;
    assert.equal(redis === 'disabled' ? redis : redis.state, 'degraded');
    await worker.close({ graceMs: 100 });
  });
});
