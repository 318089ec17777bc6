// reportBullmq() against BullMQ on the local Redis, with a reporter that records its calls: a BullMQ job is one
// occurrence (Starting on its first attempt only, one end after its last), from a Worker's events or QueueEvents.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Job, Queue, QueueEvents, Worker } from 'bullmq';
import { reportBullmq } from '../../lib/bullmq.ts';
import type { ExternalEnd, ExternalStart } from '../../lib/external/external-types.ts';
import { bullmqHarness } from '../support/bullmq-harness.ts';
import { eventually } from '../support/eventually.ts';
import { createFakeExternalReporter, type FakeExternalReporter } from '../support/fake-external-reporter.ts';
import { needs } from '../support/services.ts';

const bull = bullmqHarness();

/** A processor for the spec's job names: `ok` returns, `flaky` fails its first two attempts, `broken` always fails. */
async function processor(job: Job): Promise<unknown> {
  if (job.name === 'broken') throw new TypeError(`broken for good (attempt ${job.attemptsMade + 1})`);
  if (job.name === 'flaky' && job.attemptsMade < 2) throw new Error(`flaky attempt ${job.attemptsMade + 1}`);
  await new Promise((resolve) => setTimeout(resolve, 15));
  return { done: job.name, n: job.data.n as number };
}

/** Waits until the occurrence of `jobId` has ended, then returns its calls. */
async function ended(reporter: FakeExternalReporter, jobId: string): Promise<(ExternalStart | ExternalEnd)[]> {
  await eventually(() => reporter.sequence(jobId).some((s) => s !== 'starting'), `the end of job ${jobId}`);
  await new Promise((resolve) => setTimeout(resolve, 50)); // anything sent after the end would show now
  return reporter.events(jobId);
}

interface Setup {
  readonly queue: Queue;
  readonly worker: Worker;
  readonly queueEvents?: QueueEvents;
  readonly reporter: FakeExternalReporter;
}

/** A queue, a worker running `processor`, and the adapter fed by the worker or (`via: 'queueEvents'`) QueueEvents only. */
async function setup(label: string, via: 'worker' | 'queueEvents' | 'both'): Promise<Setup> {
  const queue = bull.queue(label);
  const reporter = createFakeExternalReporter({ registrationDelayMs: 30 });
  const queueEvents = via === 'worker' ? undefined : await bull.queueEvents(queue);
  const worker = bull.worker(queue, processor);
  bull.report({ queue, reporter, worker: via === 'queueEvents' ? undefined : worker, queueEvents, syncIntervalMs: 60_000 });
  return { queue, worker, reporter, ...(queueEvents && { queueEvents }) };
}

for (const via of ['worker', 'queueEvents'] as const) {
  describe(`reportBullmq() from ${via === 'worker' ? "the Worker's events" : 'QueueEvents (the worker runs elsewhere)'}`, { timeout: 60_000, ...needs('redis') }, () => {
    afterEach(() => bull.cleanup());
    // QueueEvents read the job when its `active` event is handled: a backoff keeps the next attempt from starting first.
    const retried = { backoff: { type: 'fixed', delay: via === 'worker' ? 0 : 100 } };

    it('registers a one-off job name once, before its first Starting, then reports Starting and Completed', async () => {
      const { queue, reporter } = await setup('one-off', via);
      const [a, b] = await Promise.all([queue.add('send-mail', { n: 1 }), queue.add('send-mail', { n: 2 })]);
      const events = await ended(reporter, a.id!);
      await ended(reporter, b.id!);
      const externalJobId = `${queue.name}:send-mail`;
      assert.deepEqual(reporter.registrations(), [
        { externalJobId, displayName: 'send-mail', description: `BullMQ jobs named "send-mail" on queue "${queue.name}", added one by one`, jobTypeName: 'send-mail', tags: ['bullmq', `queue:${queue.name}`] },
      ]);
      assert.deepEqual(reporter.sequence(a.id!), ['starting', 'Completed']);
      const starting = reporter.calls.find((c) => c.kind === 'starting')!;
      assert.ok(starting.at >= reporter.registeredAt(externalJobId)[0]!, 'the Starting waits for the registration');

      const job = (await queue.getJob(a.id!))!;
      const [start, end] = events as [ExternalStart, ExternalEnd];
      assert.deepEqual(start, { externalJobId, externalOccurrenceId: a.id, jobTypeName: 'send-mail', startTime: job.processedOn, scheduledFireTime: job.timestamp });
      assert.deepEqual(end, {
        externalJobId,
        externalOccurrenceId: a.id,
        jobTypeName: 'send-mail',
        outcome: 'Completed',
        startTime: job.processedOn,
        endTime: job.finishedOn,
        durationMs: job.finishedOn! - job.processedOn!,
        result: '{"done":"send-mail","n":1}',
      });
      assert.ok(end.durationMs! >= 14, `${end.durationMs} ms`);
    });

    it('a job that fails twice and then succeeds is one Starting and one Completed, nothing in between', async () => {
      const { queue, reporter } = await setup('flaky', via);
      const job = await queue.add('flaky', { n: 3 }, { attempts: 3, ...retried });
      const events = await ended(reporter, job.id!);
      assert.deepEqual(reporter.sequence(job.id!), ['starting', 'Completed']);
      const done = (await queue.getJob(job.id!))!;
      assert.equal(done.attemptsMade, 3);
      const [start, end] = events as [ExternalStart, ExternalEnd];
      assert.ok(Number(start.startTime) < done.processedOn!, 'the Starting is the first attempt’s');
      assert.equal(end.startTime, done.processedOn, 'the end tells the last attempt’s start');
      assert.equal(end.result, '{"done":"flaky","n":3}');
    });

    it('a job that fails every attempt is one Starting and one Failed with the failed reason and stack', async () => {
      const { queue, reporter } = await setup('broken', via);
      const job = await queue.add('broken', {}, { attempts: 2, ...retried });
      const events = await ended(reporter, job.id!);
      assert.deepEqual(reporter.sequence(job.id!), ['starting', 'Failed']);
      const end = events[1] as ExternalEnd;
      const error = end.exception as Error;
      assert.ok(error instanceof Error);
      assert.equal(error.message, 'broken for good (attempt 2)');
      assert.equal(error.name, 'TypeError');
      assert.match(error.stack ?? '', /^TypeError: broken for good \(attempt 2\)\n\s+at .*report-bullmq\.int\.spec\.ts/);
      assert.equal(end.result, undefined);
    });
  });
}

describe('reportBullmq()', { timeout: 60_000, ...needs('redis') }, () => {
  afterEach(() => bull.cleanup());

  it('given both the Worker and QueueEvents, reports each job once', async () => {
    const { queue, reporter } = await setup('both', 'both');
    const jobs = await Promise.all([queue.add('ok', { n: 1 }), queue.add('flaky', { n: 2 }, { attempts: 3 }), queue.add('broken', {}, { attempts: 2 })]);
    for (const job of jobs) await ended(reporter, job.id!);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the slower of the two listeners has had its turn
    assert.deepEqual(jobs.map((j) => reporter.sequence(j.id!)), [['starting', 'Completed'], ['starting', 'Completed'], ['starting', 'Failed']]);
  });

  it("reports a job scheduler's jobs under the scheduler's definition, registered first", async () => {
    const queue = bull.queue('scheduled');
    const reporter = createFakeExternalReporter();
    bull.report({ queue, reporter, worker: bull.worker(queue, processor), syncIntervalMs: 60_000 });
    await queue.upsertJobScheduler('heartbeat', { every: 200 }, { name: 'ok', data: { n: 7 } });
    const externalJobId = `${queue.name}:heartbeat`;
    await eventually(() => reporter.calls.filter((c) => c.kind === 'finished').length >= 2, 'two runs of the scheduler');
    const [first] = reporter.calls.filter((c) => c.kind === 'starting').map((c) => c.event as ExternalStart);
    assert.equal(first!.externalJobId, externalJobId);
    assert.match(first!.externalOccurrenceId, /^repeat:heartbeat:\d+$/);
    assert.equal(first!.jobTypeName, 'ok');
    const registration = reporter.registrations(externalJobId)[0];
    assert.equal(registration?.jobTypeName, 'ok', 'a scheduler first seen on its job is read and registered');
    assert.ok(reporter.calls.findIndex((c) => c.kind === 'registerJob') < reporter.calls.findIndex((c) => c.kind === 'starting'));
    assert.equal(reporter.registrations().length, 1);
  });

  it('reports a job failed for stalling too often (no `failed` event) from the Worker it gives', async () => {
    const queue = bull.queue('stalled');
    const reporter = createFakeExternalReporter();
    // skipStalledCheck: a worker's stalled check blocks the others' for its own stalledInterval (30 s by default).
    const stuck = bull.worker(queue, () => new Promise(() => undefined), { lockDuration: 600, skipStalledCheck: true });
    const taken = new Promise((resolve) => stuck.once('active', resolve));
    const job = await queue.add('ok', { n: 1 });
    await taken;
    await stuck.close(true); // gone without a word: its lock expires
    const checker = bull.worker(queue, processor, { stalledInterval: 300, maxStalledCount: 0, lockDuration: 600 });
    bull.report({ queue, reporter, worker: checker, syncIntervalMs: 60_000 });
    await eventually(() => reporter.sequence(job.id!).includes('Failed'), 'the stalled job’s failure', 15_000);
    const end = reporter.events(job.id!).at(-1) as ExternalEnd;
    assert.match((end.exception as Error).message, /stalled more than allowable limit/);
  });

  it('close() removes its listeners and timer, and leaves the queue, worker and reporter open', async () => {
    const queue = bull.queue('close');
    const reporter = createFakeExternalReporter();
    const worker = bull.worker(queue, processor);
    const before = ['active', 'completed', 'failed', 'stalled'].map((e) => worker.listenerCount(e));
    const report = reportBullmq({ queue, reporter, worker, syncIntervalMs: 20 });
    await report.sync();
    await report.close();
    await report.close();
    assert.deepEqual(['active', 'completed', 'failed', 'stalled'].map((e) => worker.listenerCount(e)), before);
    await queue.upsertJobScheduler('late', { every: 60_000 }, { name: 'ok' });
    const job = await queue.add('ok', { n: 1 });
    await job.waitUntilFinished(await bull.queueEvents(queue), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(reporter.calls, []);
    assert.equal(worker.isRunning(), true);
  });

  it('refuses a bad sync interval, and a worker or QueueEvents of another queue', () => {
    const reporter = createFakeExternalReporter();
    const queue = { name: 'a' } as Queue;
    assert.throws(() => reportBullmq({ queue, reporter, syncIntervalMs: 0 }), /Invalid options for reportBullmq: syncIntervalMs/);
    assert.throws(() => reportBullmq({ queue, reporter, worker: { name: 'b' } as Worker }), /worker is of queue "b", not "a"/);
    assert.throws(() => reportBullmq({ queue, reporter, queueEvents: { name: 'c' } as QueueEvents }), /queueEvents is of queue "c", not "a"/);
  });
});
