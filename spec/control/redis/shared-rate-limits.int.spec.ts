// The rate limits the processes of one WorkerId share in Redis, against the real Redis on 127.0.0.1: two stores
// (two processes) take turns from one schedule on Redis's clock, each key and each WorkerId has its own, an idle
// bucket's key expires, and Redis away answers `undefined` (the caller limits on its own) instead of waiting.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { createClient } from 'redis';
import { createSharedRateLimits, type SharedRateLimitStore } from '../../../lib/control/redis/create-shared-rate-limits.ts';
import { captureLogger } from '../../support/loggers.ts';
import { needs } from '../../support/services.ts';

const opened: SharedRateLimitStore[] = [];
after(() => Promise.all(opened.map((r) => r.close())));

/** A store of `workerId`, started and ready (it answers). */
async function store(workerId: string, connectionString = 'redis://127.0.0.1:6379'): Promise<SharedRateLimitStore> {
  const s = createSharedRateLimits({ settings: { connectionString }, workerId, logger: captureLogger(), waitMs: 300 });
  opened.push(s);
  s.start();
  if (connectionString.endsWith(':1')) return s;
  for (let tries = 0; (await s.reserve(`probe-${randomUUID()}`, { count: 1000, periodSeconds: 1 })) === undefined; tries++) {
    assert.ok(tries < 100, 'Redis did not answer within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return s;
}

describe('shared rate limits', needs('redis'), () => {
  it('give two processes of one WorkerId turns from one schedule, period / count apart', async () => {
    const workerId = `spec-limits-${randomUUID()}`;
    const [a, b] = await Promise.all([store(workerId), store(workerId)]);
    const limit = { count: 10, periodSeconds: 1 };
    const t0 = performance.now();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const asked = performance.now() - t0;
      const wait = await (i % 2 === 0 ? a : b).reserve('CallApiJob', limit);
      assert.notEqual(wait, undefined);
      waits.push(asked + wait!);
    }
    // Each turn is 100 ms after the one before, whichever process took it (a few ms of round trip aside).
    for (let i = 1; i < waits.length; i++) {
      const gap = waits[i]! - waits[i - 1]!;
      assert.ok(gap >= 95 && gap <= 115, `turn ${i} came ${gap.toFixed(1)} ms after the one before`);
    }
  });

  it('keep the buckets of each key and of each WorkerId apart, and let an idle bucket expire', async () => {
    const workerId = `spec-limits-${randomUUID()}`;
    const [a, stranger] = await Promise.all([store(workerId), store(`${workerId}-other`)]);
    const limit = { count: 1, periodSeconds: 2 };
    assert.equal(await a.reserve('CallApiJob:tenant-1', limit), 0);
    const wait = await a.reserve('CallApiJob:tenant-1', limit);
    assert.ok(wait! > 1900 && wait! <= 2000, `the same key waits for its turn (${wait} ms)`);
    assert.equal(await a.reserve('CallApiJob:tenant-2', limit), 0);
    assert.equal(await stranger.reserve('CallApiJob:tenant-1', limit), 0);
    const redis = createClient({ url: 'redis://127.0.0.1:6379' });
    await redis.connect();
    try {
      const key = `Milvaion:JobScheduler:rate-limit:{${workerId}}:CallApiJob:tenant-1`;
      const ttl = await redis.pTTL(key);
      assert.ok(ttl > 3000 && ttl <= 4002, `the key lives until its schedule has passed (${ttl} ms)`);
    } finally {
      await redis.close();
    }
  });

  it('answer undefined at once while Redis is away', async () => {
    const away = await store(`spec-limits-${randomUUID()}`, 'redis://127.0.0.1:1');
    const t0 = performance.now();
    assert.equal(await away.reserve('CallApiJob', { count: 1, periodSeconds: 1 }), undefined);
    assert.ok(performance.now() - t0 < 100);
  });
});
