// reportBullmq()'s job definitions against BullMQ on the local Redis: the queue's job schedulers registered with
// their cron pattern and next run, and kept in step (new, changed and removed ones) by the periodic sync.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ExternalJob } from '../../lib/external/external-types.ts';
import { bullmqHarness } from '../support/bullmq-harness.ts';
import { eventually } from '../support/eventually.ts';
import { createFakeExternalReporter } from '../support/fake-external-reporter.ts';
import { captureLogger } from '../support/loggers.ts';
import { needs } from '../support/services.ts';

const bull = bullmqHarness();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("reportBullmq(): the queue's job schedulers", { timeout: 60_000, ...needs('redis') }, () => {
  afterEach(() => bull.cleanup());

  it('registers each scheduler with its key, job name, cron pattern, next run and data; an unchanged one once', async () => {
    const queue = bull.queue('schedulers');
    await queue.upsertJobScheduler('nightly-report', { pattern: '0 3 * * *' }, { name: 'report', data: { format: 'pdf' } });
    await queue.upsertJobScheduler('poll', { every: 2000 }, { name: 'tick' });
    await queue.upsertJobScheduler('berlin', { pattern: '0 0 9 * * 1-5', tz: 'Europe/Berlin', limit: 10 }, { name: 'standup' });
    const reporter = createFakeExternalReporter();
    const report = bull.report({ queue, reporter, syncIntervalMs: 60_000 });
    await report.sync();
    await report.sync();
    const tags = ['bullmq', `queue:${queue.name}`, 'scheduler'];
    const next = async (key: string) => (await queue.getJobScheduler(key))!.next;
    const byKey = (key: string) => reporter.registrations(`${queue.name}:${key}`);
    assert.equal(reporter.registrations().length, 3);
    assert.deepEqual(byKey('nightly-report'), [
      {
        externalJobId: `${queue.name}:nightly-report`,
        displayName: 'nightly-report',
        description: `BullMQ job scheduler "nightly-report" on queue "${queue.name}": cron "0 3 * * *"`,
        jobTypeName: 'report',
        cronExpression: '0 3 * * *',
        nextExecuteAt: await next('nightly-report'),
        jobData: { format: 'pdf' },
        tags,
      },
    ]);
    const [poll] = byKey('poll');
    assert.equal(poll?.cronExpression, undefined, 'an `every` scheduler has no cron');
    assert.equal(poll?.nextExecuteAt, await next('poll'));
    assert.equal(poll?.description, `BullMQ job scheduler "poll" on queue "${queue.name}": every 2000 ms`);
    const [berlin] = byKey('berlin');
    assert.equal(berlin?.cronExpression, '0 0 9 * * 1-5');
    assert.match(berlin?.description ?? '', /time zone Europe\/Berlin, at most 10 runs$/);
  });

  it('registers a scheduler added later, again one that changed, and one removed as inactive', async () => {
    const queue = bull.queue('sync');
    await queue.upsertJobScheduler('a', { every: 60_000 }, { name: 'job-a' });
    const reporter = createFakeExternalReporter();
    bull.report({ queue, reporter, syncIntervalMs: 40 });
    const count = (key: string) => reporter.registrations(`${queue.name}:${key}`).length;
    const last = (key: string): ExternalJob | undefined => reporter.registrations(`${queue.name}:${key}`).at(-1);
    await eventually(() => count('a') === 1, 'the first registration');

    await queue.upsertJobScheduler('b', { pattern: '*/30 * * * * *' }, { name: 'job-b' });
    await eventually(() => count('b') === 1, 'the added scheduler registered at the next sync');
    await queue.upsertJobScheduler('a', { pattern: '0 12 * * *' }, { name: 'job-a' });
    await eventually(() => count('a') === 2, 'the changed scheduler registered again');
    assert.equal(last('a')?.cronExpression, '0 12 * * *');
    await queue.removeJobScheduler('b');
    await eventually(() => count('b') === 2, 'the removed scheduler registered again');
    assert.equal(last('b')?.isActive, false);
    assert.equal(last('b')?.nextExecuteAt, undefined);
    assert.equal(last('b')?.cronExpression, '*/30 * * * * *');

    await sleep(200); // five more passes: nothing changed, nothing registered
    assert.deepEqual([count('a'), count('b')], [2, 2]);
    await queue.upsertJobScheduler('b', { pattern: '*/30 * * * * *' }, { name: 'job-b' });
    await eventually(() => count('b') === 3, 'the scheduler added back');
    assert.notEqual(last('b')?.isActive, false);
  });

  it('does not register a scheduler again because its next run moved', async () => {
    const queue = bull.queue('next-run');
    const reporter = createFakeExternalReporter();
    bull.report({ queue, reporter, worker: bull.worker(queue, async () => 'ok'), syncIntervalMs: 30 });
    await queue.upsertJobScheduler('fast', { every: 100 }, { name: 'tick' });
    await eventually(() => reporter.calls.filter((c) => c.kind === 'finished').length >= 5, 'five runs');
    assert.equal(reporter.registrations(`${queue.name}:fast`).length, 1);
  });

  it('logs a registration the reporter refused, and registers it at the next pass', async () => {
    const queue = bull.queue('refused');
    await queue.upsertJobScheduler('s', { every: 60_000 }, { name: 'job' });
    const recorder = createFakeExternalReporter();
    let refusals = 1;
    const reporter = { ...recorder, registerJob: async (job: ExternalJob) => (refusals-- > 0 ? Promise.reject(new Error('outbox is full')) : recorder.registerJob(job)) };
    const logger = captureLogger();
    bull.report({ queue, reporter, logger, syncIntervalMs: 30 });
    await eventually(() => recorder.registrations().length === 1, 'the registration at the next pass');
    assert.deepEqual(logger.messages('warn'), [`BullMQ job scheduler s of queue ${queue.name} not registered: outbox is full`]);
  });
});
