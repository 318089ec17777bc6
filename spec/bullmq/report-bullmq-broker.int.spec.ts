// reportBullmq() end to end: BullMQ on the local Redis, the real external reporter on RabbitMQ (a vhost of its
// own), and the scheduler-side client reading the two external-scheduler queues as Milvaion's tracker would.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job } from 'bullmq';
import { createExternalReporter, type ExternalReporter } from '../../lib/external.ts';
import { ExternalEventType } from '../../lib/external/to-external-messages.ts';
import { JobStatus } from '../../lib/index.ts';
import { createSchedulerClient, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { bullmqHarness } from '../support/bullmq-harness.ts';
import { needs } from '../support/services.ts';

const bull = bullmqHarness();
const root = mkdtempSync(path.join(tmpdir(), 'report-bullmq-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function processor(job: Job): Promise<unknown> {
  if (job.name === 'charge' && job.attemptsMade < 1) throw new Error('card declined, try again');
  if (job.name === 'export') throw new TypeError('no such report: q4');
  return { ok: job.name };
}

describe('reportBullmq() through the external reporter and RabbitMQ', { timeout: 60_000, ...needs('rabbitmq', 'redis') }, () => {
  const vhost = `spec-bullmq-${process.pid}`;
  const workerId = `spec-bullmq-${process.pid}`;
  let scheduler: SchedulerClient;
  let reporter: ExternalReporter;
  before(async () => {
    createVhost(vhost);
    scheduler = await createSchedulerClient({ url: `${AMQP_URL}/${vhost}` });
    reporter = createExternalReporter({ rabbitmq: { url: `${AMQP_URL}/${vhost}` }, workerId, source: 'BullMQ', outbox: { localStoragePath: path.join(root, 'outbox') } });
    await reporter.start();
  });
  after(async () => {
    await bull.cleanup();
    await reporter.close();
    await scheduler.close();
    deleteVhost(vhost);
  });

  it('sends the definitions and one Starting and one end per BullMQ job, as the tracker reads them', async () => {
    const queue = bull.queue('broker');
    await queue.upsertJobScheduler('nightly', { pattern: '0 3 * * *' }, { name: 'report', data: { format: 'pdf' } });
    const queueEvents = await bull.queueEvents(queue);
    bull.worker(queue, processor);
    const report = bull.report({ queue, queueEvents, reporter, syncIntervalMs: 60_000 });
    await report.sync();
    const [charge, exported] = await Promise.all([
      queue.add('charge', { amount: 5 }, { attempts: 3, backoff: { type: 'fixed', delay: 100 } }),
      queue.add('export', {}, { attempts: 2, backoff: { type: 'fixed', delay: 100 } }),
    ]);

    const nightly = await scheduler.waitFor(() => scheduler.externalRegistrations(`${queue.name}:nightly`)[0], { what: 'the scheduler’s registration' });
    assert.equal(nightly.body?.['CronExpression'], '0 0 3 * * *', 'a 5-field pattern gets its seconds field');
    assert.equal(nightly.body?.['NextExecuteAt'], new Date((await queue.getJobScheduler('nightly'))!.next!).toISOString());
    assert.equal(nightly.body?.['JobData'], '{"format":"pdf"}');

    const bodies = (jobId: string, name: string) =>
      scheduler.externalOccurrences(reporter.correlationIdOf({ externalJobId: `${queue.name}:${name}`, externalOccurrenceId: jobId })).map((m) => m.body ?? {});
    await scheduler.waitUntil(() => bodies(charge.id!, 'charge').length >= 2 && bodies(exported.id!, 'export').length >= 2, { what: 'both jobs’ ends' });
    await new Promise((resolve) => setTimeout(resolve, 300)); // a stray third message would have arrived by now
    const charged = bodies(charge.id!, 'charge');
    assert.deepEqual(charged.map((b) => [b['EventType'], b['Status']]), [[ExternalEventType.Starting, JobStatus.Running], [ExternalEventType.Completed, JobStatus.Completed]]);
    assert.equal(charged[1]!['Result'], '{"ok":"charge"}');
    assert.equal(charged[0]!['ExternalOccurrenceId'], charge.id);
    const failed = bodies(exported.id!, 'export');
    assert.deepEqual(failed.map((b) => [b['EventType'], b['Status']]), [[ExternalEventType.Starting, JobStatus.Running], [ExternalEventType.Completed, JobStatus.Failed]]);
    assert.match(String(failed[1]!['Exception']), /^Type: TypeError\nMessage: no such report: q4\nStackTrace: +at .*report-bullmq-broker\.int\.spec\.ts/);
    const done = (await queue.getJob(exported.id!))!;
    assert.equal(failed[1]!['DurationMs'], done.finishedOn! - done.processedOn!);

    const listed = scheduler.registrations(workerId).at(-1)?.body?.JobTypes as string[] | undefined;
    assert.deepEqual([...(listed ?? [])].sort(), [`${queue.name}:charge`, `${queue.name}:export`, `${queue.name}:nightly`].sort(), 'the worker lists every definition');
  });
});
