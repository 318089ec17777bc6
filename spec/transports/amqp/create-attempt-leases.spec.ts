// Unit specs of createAttemptLeases() over recorded shared records and mocked timers: an attempt is held once it
// has run holdAfterMs, refreshed every third of its lease, and its ending written only when it was held or its
// delivery could not be settled; short attempts acked on their channel write nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attempt, AttemptEnding, SharedOccurrences } from '../../../lib/core/vocabulary/ports.ts';
import { createAttemptLeases } from '../../../lib/transports/amqp/create-attempt-leases.ts';

const TIMING = { holdAfterMs: 1000, leaseMs: 15_000, tickMs: 1000, graceMs: 3000, pollMs: 1000 };

/** Shared records that only record holds and endings. */
function recorded() {
  const holds: { at: number; ids: string[]; leaseMs: number }[] = [];
  const ends: string[] = [];
  let clock = 0;
  const shared: SharedOccurrences = {
    finish: () => Promise.resolve(),
    isFinished: () => Promise.resolve(undefined),
    noteRedelivery: () => Promise.resolve(undefined),
    release: () => Promise.resolve(),
    hold: (attempts: readonly Attempt[], leaseMs: number) => (holds.push({ at: clock, ids: attempts.map((a) => `${a.occurrenceId}:${a.retryCount}`), leaseMs }), Promise.resolve()),
    end: (a: Attempt, ending: AttemptEnding) => (ends.push(`${a.occurrenceId}:${a.retryCount} ${ending}`), Promise.resolve()),
    attempt: () => Promise.resolve(undefined),
  };
  return { shared, holds, ends, now: () => clock, advance: (ms: number) => (clock += ms) };
}

describe('createAttemptLeases', () => {
  it('holds an attempt once it has run a second, refreshes the hold every third of the lease, and writes how it ended', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { shared, holds, ends, now, advance } = recorded();
    const leases = createAttemptLeases(shared, TIMING, now);
    const long = { occurrenceId: 'long', retryCount: 0 };
    leases.begin(long);
    const tick = (ms: number) => {
      for (let i = 0; i < ms / 1000; i++) {
        advance(1000);
        t.mock.timers.tick(1000);
      }
    };
    tick(1000);
    assert.deepEqual(holds, [{ at: 1000, ids: ['long:0'], leaseMs: 15_000 }]);
    tick(4000);
    assert.equal(holds.length, 1, 'not refreshed before a third of the lease');
    tick(1000);
    assert.deepEqual(holds.map((h) => h.at), [1000, 6000]);
    leases.settled(long, 'ack', true);
    assert.deepEqual(ends, ['long:0 settled']);
    tick(10_000);
    assert.equal(holds.length, 2, 'an ended attempt is no longer held');
    leases.close();
  });

  it('writes nothing for a short attempt acked on its channel, and the ending of one whose channel was gone', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { shared, holds, ends, now } = recorded();
    const leases = createAttemptLeases(shared, TIMING, now);
    const quick = { occurrenceId: 'quick', retryCount: 0 };
    const lost = { occurrenceId: 'lost', retryCount: 1 };
    const requeued = { occurrenceId: 'requeued', retryCount: 0 };
    for (const a of [quick, lost, requeued]) leases.begin(a);
    leases.settled(quick, 'ack', true);
    leases.settled(lost, 'ack', false);
    leases.settled(requeued, 'requeue', false);
    t.mock.timers.tick(5000);
    assert.deepEqual(holds, []);
    assert.deepEqual(ends, ['lost:1 settled', 'requeued:0 returned']);
    leases.close();
  });
});
