// The occurrence records the processes of one WorkerId share in Redis, against the real Redis on 127.0.0.1: a
// finish written by one is seen by another, crash counts are shared and a release is used up once, another
// WorkerId sees nothing, an attempt is held for its lease and then says how it ended, and Redis away answers
// `undefined` (the caller falls back) instead of waiting or throwing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { createSharedOccurrences, type SharedOccurrenceRecords } from '../../../lib/control/redis/create-shared-occurrences.ts';
import { captureLogger } from '../../support/loggers.ts';
import { needs } from '../../support/services.ts';

const opened: SharedOccurrenceRecords[] = [];
after(() => Promise.all(opened.map((r) => r.close())));

/** Records of `workerId`, started; on the machine's Redis they are ready (they answer) when this resolves. */
async function records(workerId: string, connectionString = 'redis://127.0.0.1:6379'): Promise<SharedOccurrenceRecords> {
  const r = createSharedOccurrences({ settings: { connectionString }, workerId, holder: `${workerId}-holder`, retentionMs: 86_400_000, logger: captureLogger(), waitMs: 200 });
  opened.push(r);
  r.start();
  if (connectionString.endsWith(':1')) return r;
  for (let tries = 0; (await r.isFinished(randomUUID())) === undefined; tries++) {
    assert.ok(tries < 100, 'Redis did not answer within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return r;
}

describe('shared occurrence records', needs('redis'), () => {
  const workerId = `spec-shared-${process.pid}`;

  it('show a finish made in one process to another of the same WorkerId, and to no other WorkerId', async () => {
    const [a, b, stranger] = await Promise.all([records(workerId), records(workerId), records(`${workerId}-other`)]);
    const id = randomUUID();
    assert.equal(await b.isFinished(id), false);
    await Promise.all([a.finish(id), a.finish(randomUUID())]); // one HSET for both
    assert.equal(await b.isFinished(id), true);
    assert.equal(await stranger.isFinished(id), false);
  });

  it('share crash counts; a release made in one process is used up by the redelivery in another', async () => {
    const [a, b] = await Promise.all([records(workerId), records(workerId)]);
    const id = randomUUID();
    assert.deepEqual(await a.noteRedelivery(id), { crashes: 1, counted: true });
    assert.deepEqual(await b.noteRedelivery(id), { crashes: 2, counted: true });
    await a.release(id);
    assert.deepEqual(await b.noteRedelivery(id), { crashes: 2, counted: false });
    assert.deepEqual(await a.noteRedelivery(id), { crashes: 3, counted: true });
  });

  it('hold an attempt for its lease, tell who holds it, then how it ended; a retry is another attempt', async () => {
    const [a, b] = await Promise.all([records(workerId), records(workerId)]);
    const attempt = { occurrenceId: randomUUID(), retryCount: 0 };
    assert.deepEqual(await b.attempt(attempt), { kind: 'unknown' });
    await a.hold([attempt, { occurrenceId: randomUUID(), retryCount: 2 }], 200);
    assert.deepEqual(await b.attempt(attempt), { kind: 'running', holder: `${workerId}-holder` });
    assert.deepEqual(await b.attempt({ ...attempt, retryCount: 1 }), { kind: 'unknown' }, 'the next attempt is not held');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(await b.attempt(attempt), { kind: 'unknown' }, 'the lease ran out');
    await a.hold([attempt], 10_000);
    await a.end(attempt, 'settled');
    assert.deepEqual(await b.attempt(attempt), { kind: 'settled' });
    await a.end(attempt, 'returned');
    assert.deepEqual(await b.attempt(attempt), { kind: 'returned' });
  });

  it('tell an attempt of a released occurrence as returned until a process holds it again', async () => {
    const [a, b] = await Promise.all([records(workerId), records(workerId)]);
    const attempt = { occurrenceId: randomUUID(), retryCount: 1 };
    await a.release(attempt.occurrenceId);
    assert.deepEqual(await b.attempt(attempt), { kind: 'returned' });
    await b.hold([attempt], 10_000);
    assert.deepEqual(await a.attempt(attempt), { kind: 'running', holder: `${workerId}-holder` });
  });

  it('answer a redelivery check made while the connection still opens (a process just started), once it is ready', async () => {
    const a = await records(workerId);
    const id = randomUUID();
    await a.finish(id);
    const fresh = createSharedOccurrences({ settings: { connectionString: 'redis://127.0.0.1:6379' }, workerId, holder: 'fresh', retentionMs: 86_400_000, logger: captureLogger() });
    opened.push(fresh);
    fresh.start();
    assert.equal(await fresh.isFinished(id), true);
  });

  it('answer undefined within their wait while Redis cannot be reached, and a finish does not wait', async () => {
    const away = await records(workerId, 'redis://127.0.0.1:1');
    const id = randomUUID();
    const asked = performance.now();
    assert.equal(await away.isFinished(id), undefined);
    assert.ok(performance.now() - asked < 2000, 'bounded by the wait (200 ms here), not by a command timeout');
    assert.equal(await away.noteRedelivery(id), undefined);
    await away.release(id);
    await away.finish(id);
    assert.equal(await away.attempt({ occurrenceId: id, retryCount: 0 }), undefined);
    await away.hold([{ occurrenceId: id, retryCount: 0 }], 1000);
    await away.end({ occurrenceId: id, retryCount: 0 }, 'settled');
  });
});
