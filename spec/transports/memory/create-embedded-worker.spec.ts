import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEmbeddedWorker, defineJob, JobStatus } from '../../../lib/index.ts';

const OCC = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('createEmbeddedWorker', () => {
  it('never runs more jobs of a type at once than its maxParallelJobs', async () => {
    let active = 0;
    let peak = 0;
    const job = defineJob({
      name: 'LimitedJob',
      maxParallelJobs: 3,
      run: async () => {
        peak = Math.max(peak, ++active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active--;
      },
    });
    const other = defineJob({ name: 'OtherJob', maxParallelJobs: 1, run: () => undefined });
    const worker = createEmbeddedWorker({ jobs: [job, other] });
    for (let i = 0; i < 20; i++) worker.enqueue('LimitedJob');
    worker.enqueue('OtherJob');
    await worker.idle();
    assert.equal(peak, 3);
    assert.equal(worker.sink.statuses().filter((s) => s.phase === 'final' && s.status === JobStatus.Completed).length, 21);
    await worker.close();
  });

  it('a waiting retry holds no concurrency slot: other jobs of the type run meanwhile', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const order: string[] = [];
    const job = defineJob({
      name: 'SingleSlotJob',
      maxParallelJobs: 1,
      maxRetries: 1,
      baseRetryDelaySeconds: 10,
      run: (data: unknown, ctx) => {
        const name = (data as { name: string }).name;
        order.push(`${name}#${ctx.occurrence.retryCount}`);
        if (name === 'flaky' && ctx.occurrence.retryCount === 0) throw new Error('transient');
      },
    });
    const worker = createEmbeddedWorker({ jobs: [job] });
    const flaky = worker.enqueue('SingleSlotJob', { name: 'flaky' });
    worker.enqueue('SingleSlotJob', { name: 'second' });
    for (let i = 0; i < 5; i++) await tick();
    assert.deepEqual(order, ['flaky#0', 'second#0']); // second ran while flaky waited
    t.mock.timers.tick(10_000);
    assert.equal((await worker.wait(flaky)).status, JobStatus.Completed);
    assert.deepEqual(order, ['flaky#0', 'second#0', 'flaky#1']);
    const retryLog = worker.sink.logs(flaky).find((l) => l.category === 'Retry')!;
    assert.deepEqual(Object.keys(retryLog.data!).sort(), ['DelaySeconds', 'MaxRetries', 'NextRetryTime', 'RetryAttempt']);
    await worker.close();
  });

  it('cancels a running occurrence by id, and one waiting for its retry', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    let runs = 0;
    const stubborn = defineJob({ name: 'StubbornJob', run: () => new Promise(() => undefined) }); // ignores its signal
    const flaky = defineJob({ name: 'FlakyJob', maxRetries: 3, baseRetryDelaySeconds: 60, run: () => { runs++; throw new Error('x'); } });
    const worker = createEmbeddedWorker({ jobs: [stubborn, flaky] });
    const a = worker.enqueue('StubbornJob');
    const b = worker.enqueue('FlakyJob');
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(worker.cancel(a, 'stop it'), true);
    assert.equal(worker.cancel(b, 'no more retries'), true);
    assert.equal(worker.cancel(OCC, 'unknown'), false);
    const finalA = await worker.wait(a);
    assert.equal(finalA.status, JobStatus.Cancelled);
    assert.match(finalA.result!, /stop it/);
    t.mock.timers.tick(60_000);
    const finalB = await worker.wait(b);
    assert.equal(finalB.status, JobStatus.Cancelled);
    assert.match(finalB.result!, /no more retries/);
    assert.equal(runs, 1);
    await worker.close();
  });

  it('dead-letters a malformed wire message with its reason and runs a valid one', async () => {
    const worker = createEmbeddedWorker({ jobs: [defineJob({ name: 'EchoJob', run: (d) => d })] });
    assert.equal(worker.dispatch({ body: '{broken' }), undefined);
    assert.match(worker.deadLetters[0]!.reason, /not JSON/);
    const id = worker.dispatch({ body: { id: OCC, jobNameInWorker: 'EchoJob', jobData: '{"x":1}' }, headers: { CorrelationId: OCC } });
    assert.equal(id, OCC);
    assert.equal((await worker.wait(OCC)).result, '{"x":1}');
    await worker.close();
  });

  it('close() aborts jobs still running after the grace period with reason shutdown', async () => {
    let reason: unknown;
    const job = defineJob({
      name: 'ForeverJob',
      run: (_d, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject((reason = ctx.signal.reason)))),
    });
    const worker = createEmbeddedWorker({ jobs: [job] });
    const id = worker.enqueue('ForeverJob');
    await tick();
    await worker.close({ graceMs: 10 });
    assert.equal((reason as { source?: string }).source, 'shutdown');
    assert.equal(worker.sink.finalStatus(id)?.status, JobStatus.Cancelled);
    assert.throws(() => worker.enqueue('ForeverJob'), /closed/);
  });
});

describe('createEmbeddedWorker: rate limits', () => {
  it('starts a rate-limited job only at its turn; a cancel or a close ends a waiting one Cancelled, unrun', async () => {
    const starts: number[] = [];
    const job = defineJob({ name: 'CallApiJob', maxParallelJobs: 5, rateLimit: { count: 10, periodSeconds: 1 }, run: () => void starts.push(performance.now()) });
    const worker = createEmbeddedWorker({ jobs: [job] });
    const enqueuedAt = performance.now();
    const ids = [worker.enqueue(job), worker.enqueue(job), worker.enqueue(job)];
    for (const id of ids) assert.equal((await worker.wait(id)).status, JobStatus.Completed);
    assert.equal(starts.length, 3);
    // The turns are 0, 100 and 200 ms after the first reservation, which came after the enqueue; a timer never fires
    // early, so the third cannot start before 200 ms (less a millisecond of Date.now's rounding). The gaps between
    // starts themselves vary with each job's delay from its turn to its start.
    assert.ok(starts[2]! - enqueuedAt >= 195, `the third started ${(starts[2]! - enqueuedAt).toFixed(1)} ms after the enqueue`);
    const slow = createEmbeddedWorker({ jobs: [defineJob({ name: 'SlowApiJob', rateLimit: { count: 1, periodSeconds: 60 }, run: () => void starts.push(0) })] });
    const [first, cancelledOne, closedOne] = [slow.enqueue('SlowApiJob'), slow.enqueue('SlowApiJob'), slow.enqueue('SlowApiJob')];
    await slow.wait(first);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(slow.cancel(cancelledOne, 'not needed'), true);
    assert.equal((await slow.wait(cancelledOne)).status, JobStatus.Cancelled);
    await slow.close({ graceMs: 100 });
    assert.equal((await slow.wait(closedOne)).status, JobStatus.Cancelled);
    assert.equal(starts.length, 4, 'only the first SlowApiJob ran');
  });
});
