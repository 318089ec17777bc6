// The slots the processes of one WorkerId share in Redis (MaxParallelJobsGlobal), against the real Redis on
// 127.0.0.1: two stores (two processes) never hold more than the cap between them, a release frees a slot, the
// slots of a process that stops refreshing (it died) free themselves after one lease while a live one's stay, and
// Redis away answers `undefined` at once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { createSharedSlots, type SharedSlotStore } from '../../../lib/control/redis/create-shared-slots.ts';
import { captureLogger } from '../../support/loggers.ts';
import { needs } from '../../support/services.ts';

const opened: SharedSlotStore[] = [];
after(() => Promise.all(opened.map((s) => s.close())));

/** A store of `workerId`, started and ready (it answers). */
async function store(workerId: string, holder: string, leaseMs = 15_000, connectionString = 'redis://127.0.0.1:6379'): Promise<SharedSlotStore> {
  const s = createSharedSlots({ settings: { connectionString }, workerId, holder, logger: captureLogger(), leaseMs, waitMs: 300 });
  opened.push(s);
  s.start();
  if (connectionString.endsWith(':1')) return s;
  for (let tries = 0; (await s.acquire(`probe-${randomUUID()}`, 1)) === undefined; tries++) {
    assert.ok(tries < 100, 'Redis did not answer within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return s;
}

describe('shared slots', needs('redis'), () => {
  it('give two processes of one WorkerId no more than the cap between them; a release frees one; another WorkerId has its own', async () => {
    const workerId = `spec-slots-${randomUUID()}`;
    const [a, b, stranger] = await Promise.all([store(workerId, 'a'), store(workerId, 'b'), store(`${workerId}-other`, 'c')]);
    const first = await a.acquire('ChargeJob', 2);
    const second = await b.acquire('ChargeJob', 2);
    assert.ok(first && second, 'two slots of two');
    assert.equal(await a.acquire('ChargeJob', 2), false);
    assert.equal(await b.acquire('ChargeJob', 2), false);
    assert.ok(await stranger.acquire('ChargeJob', 2), 'another WorkerId');
    assert.ok(await a.acquire('OtherJob', 2), 'another job');
    first.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(await b.acquire('ChargeJob', 2), 'the released slot');
  });

  it('free the slots of a process that stopped refreshing them after one lease, and keep a live one\'s', async () => {
    const workerId = `spec-slots-${randomUUID()}`;
    const [dead, live, other] = await Promise.all([store(workerId, 'dead', 900), store(workerId, 'live', 900), store(workerId, 'other', 900)]);
    assert.ok(await dead.acquire('ChargeJob', 2));
    assert.ok(await live.acquire('ChargeJob', 2));
    await dead.close(); // its refresh stops, as a SIGKILLed process's does
    const t0 = performance.now();
    let taken: Awaited<ReturnType<SharedSlotStore['acquire']>> = false;
    while (!taken && performance.now() - t0 < 3000) {
      taken = await other.acquire('ChargeJob', 2);
      if (!taken) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const freedAfter = performance.now() - t0;
    assert.ok(taken, 'the dead process\'s slot was freed');
    assert.ok(freedAfter < 1500, `freed after ${freedAfter.toFixed(0)} ms, within one lease of 900 ms`);
    // Two leases later the live process still holds its slot (refreshed every third of a lease): the cap is full.
    await new Promise((resolve) => setTimeout(resolve, 1800));
    assert.equal(await other.acquire('ChargeJob', 2), false);
  });

  it('answer undefined at once while Redis is away', async () => {
    const away = await store(`spec-slots-${randomUUID()}`, 'x', 15_000, 'redis://127.0.0.1:1');
    const t0 = performance.now();
    assert.equal(await away.acquire('ChargeJob', 1), undefined);
    assert.ok(performance.now() - t0 < 100);
  });
});
