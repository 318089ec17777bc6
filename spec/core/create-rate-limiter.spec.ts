import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRateLimiter, gcraOf } from '../../lib/core/engine/create-rate-limiter.ts';

describe('createRateLimiter', () => {
  it('spaces the turns by period / count, the first at once', () => {
    let t = 1_000_000;
    const limiter = createRateLimiter(() => t);
    const limit = { count: 4, periodSeconds: 2 };
    const waits = Array.from({ length: 6 }, () => limiter.reserve('job', limit));
    assert.deepEqual(waits, [0, 500, 1000, 1500, 2000, 2500]);
    // Once the reserved turns have passed, the bucket is as fresh as a new one.
    t += 10_000;
    assert.deepEqual(Array.from({ length: 3 }, () => limiter.reserve('job', limit)), [0, 500, 1000]);
  });

  it('never gives more than count turns within any period, whatever the arrival pattern', () => {
    let t = 0;
    const limiter = createRateLimiter(() => t);
    const limit = { count: 5, periodSeconds: 1 };
    const starts: number[] = [];
    for (let i = 0; i < 200; i++) {
      t += Math.floor((i * 7919) % 97); // irregular arrivals, several per turn
      starts.push(t + limiter.reserve('job', limit));
    }
    starts.sort((a, b) => a - b);
    // In any window of one period (half-open), at most five starts: the sixth is a period after the first.
    for (let i = 5; i < starts.length; i++) assert.ok(starts[i]! - starts[i - 5]! >= 1000 - 1e-9, `turns ${i - 5} and ${i} are ${starts[i]! - starts[i - 5]!} ms apart`);
  });

  it('keeps each bucket apart: a busy key does not delay another', () => {
    const limiter = createRateLimiter(() => 0);
    const limit = { count: 1, periodSeconds: 1 };
    assert.equal(limiter.reserve('job:a', limit), 0);
    assert.equal(limiter.reserve('job:a', limit), 1000);
    assert.equal(limiter.reserve('job:b', limit), 0);
  });

  it('bounds the buckets it keeps by maxKeys: the least recently used are forgotten', () => {
    const t = 0;
    const limiter = createRateLimiter(() => t);
    const limit = { count: 1, periodSeconds: 60, maxKeys: 3 };
    for (const key of ['a', 'b', 'c', 'd', 'e']) limiter.reserve(key, limit);
    assert.equal(limiter.size, 3);
    // 'a' was forgotten, so it starts at once again; 'e' is still limited.
    assert.equal(limiter.reserve('a', limit), 0);
    assert.equal(limiter.reserve('e', limit), 60_000);
  });

  it('derives the spacing and the burst tolerance of a limit', () => {
    assert.deepEqual(gcraOf({ count: 20, periodSeconds: 1 }), { intervalMs: 50, toleranceMs: 0 });
  });
});
