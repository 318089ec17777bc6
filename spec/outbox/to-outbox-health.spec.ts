// toOutboxHealth(): full past the entry count, the byte limit (MaxPendingBytes) or the age, or while the disk takes
// no writes (its reason, naming the folder, comes first); a nearly full disk is said but does not stop intake.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toOutboxHealth } from '../../lib/outbox/to-outbox-health.ts';
import type { OutboxDiskHealth } from '../../lib/outbox/create-disk-guard.ts';

const ok: OutboxDiskHealth = { state: 'ok', roomBytes: 10 ** 9, reason: undefined };
const limits = { maxPending: 100, maxPendingBytes: 1024 ** 2, maxAgeMs: 60_000 };
const backlog = (pending: number, pendingBytes: number, oldestAgeMs = 0) => ({ pending, pendingBytes, oldestAgeMs });

describe('toOutboxHealth', () => {
  it('is not full within every bound', () => {
    assert.deepEqual(toOutboxHealth(backlog(99, 1024 ** 2 - 1, 59_000), limits, ok), { pending: 99, pendingBytes: 1024 ** 2 - 1, oldestAgeMs: 59_000, full: false, reason: undefined, disk: ok });
  });

  it('is full at the byte limit, saying so with both sizes and the key', () => {
    const h = toOutboxHealth(backlog(3, 1024 ** 2), limits, ok);
    assert.equal(h.full, true);
    assert.equal(h.reason, '1.0 MB pending (limit 1.0 MB, MaxPendingBytes)');
  });

  it('has no byte limit when MaxPendingBytes is unset', () => {
    assert.equal(toOutboxHealth(backlog(3, 10 ** 12), { ...limits, maxPendingBytes: undefined }, ok).full, false);
  });

  it('is full at the entry count and at the age, as before', () => {
    assert.equal(toOutboxHealth(backlog(100, 0), limits, ok).reason, '100 entries pending (limit 100)');
    assert.equal(toOutboxHealth(backlog(1, 0, 61_000), limits, ok).reason, 'oldest entry is 61 s old (limit 60 s)');
  });

  for (const state of ['full', 'failing'] as const) {
    it(`is full while the disk is ${state}, with the disk's reason first`, () => {
      const disk: OutboxDiskHealth = { state, roomBytes: 0, reason: 'the outbox cannot write to /data/outbox: No space left on device (ENOSPC)' };
      const h = toOutboxHealth(backlog(100, 0), limits, disk);
      assert.deepEqual([h.full, h.reason], [true, disk.reason]);
    });
  }

  it('says a nearly full disk without stopping intake, unless a bound does', () => {
    const low: OutboxDiskHealth = { state: 'low', roomBytes: 5, reason: "the outbox's disk is nearly full" };
    assert.deepEqual([toOutboxHealth(backlog(1, 0), limits, low).full, toOutboxHealth(backlog(1, 0), limits, low).reason], [false, low.reason]);
    assert.equal(toOutboxHealth(backlog(100, 0), limits, low).reason, '100 entries pending (limit 100)');
  });
});
