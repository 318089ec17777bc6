// Integration specs for per-message settings, job heartbeats and quorum queues, against the real broker.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'rabbitmq-client';
import { defineJob, JobStatus } from '../../lib/index.ts';
import { toDispatchMessage } from '../../lib/scheduler-client/create-scheduler-client.ts';
import { createAmqpWorker, jobQueueArguments, MilvaionNames, toJobQueueName, toRoutingPattern } from '../../lib/amqp.ts';
import { AMQP_URL, createAmqpHarness, createVhost, deleteVhost, type AmqpHarness } from '../support/amqp-harness.ts';
import { captureLogger } from '../support/loggers.ts';
import { needs } from '../support/services.ts';

let release: (() => void) | undefined;
const jobs = [
  defineJob({ name: 'SlowJob', executionTimeoutSeconds: 60, run: (_d, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)) }),
  defineJob({ name: 'HeldJob', run: () => new Promise<string>((resolve) => (release = () => resolve('done'))) }),
];

describe('AMQP worker settings', needs('rabbitmq'), () => {
  let h: AmqpHarness;
  before(async () => {
    h = await createAmqpHarness('settings');
    await h.startWorker({ jobs, jobHeartbeatIntervalSeconds: 0.2 });
  });
  after(async () => h.close());

  it('takes executionTimeoutSeconds from the message over the job default and reports TimedOut', async () => {
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'SlowJob', workerId: h.workerId, executionTimeoutSeconds: 1 });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    assert.equal(final.body!.Status, JobStatus.TimedOut);
    assert.match(String(final.body!.Exception), /^Job execution exceeded maximum timeout of 1 seconds \(\d+ms elapsed\)$/);
    assert.equal(h.scheduler.deadLetters(occurrenceId).length, 0); // a timeout is acked, not dead-lettered
  });

  it('sends job heartbeats (Running, all times null) while a job runs, and none after its final status', async () => {
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'HeldJob', workerId: h.workerId });
    const isBeat = (b: Record<string, unknown>) => b['Status'] === JobStatus.Running && b['StartTime'] === null;
    await h.scheduler.waitUntil(() => h.scheduler.statuses(occurrenceId).filter((m) => isBeat(m.body!)).length >= 2, { what: 'two job heartbeats' });
    const beat = h.scheduler.statuses(occurrenceId).find((m) => isBeat(m.body!))!.body!;
    assert.deepEqual([beat['EndTime'], beat['DurationMs'], beat['Result'], beat['Exception']], [null, null, null, null]);
    release?.();
    await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    const count = h.scheduler.statuses(occurrenceId).length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(h.scheduler.statuses(occurrenceId).length, count);
    assert.equal(h.scheduler.statuses(occurrenceId).at(-1)!.body!.Status, JobStatus.Completed);
  });
});

describe('AMQP worker with quorum queues (own vhost)', needs('rabbitmq'), () => {
  const vhost = `spec-quorum-${process.pid}`;
  const url = `${AMQP_URL}/${vhost}`;
  before(() => void createVhost(vhost));
  after(() => deleteVhost(vhost));

  it('declares every queue with x-queue-type quorum and runs jobs', async () => {
    const workerId = `spec-quorum-${process.pid}`;
    const worker = createAmqpWorker({ workerId, rabbitmq: { url, queueType: 'Quorum' }, jobs: [defineJob({ name: 'QuickJob', run: () => 'quick' })], logger: captureLogger() });
    const admin = new Connection(url);
    admin.on('error', () => undefined);
    const publisher = admin.createPublisher({ confirm: true });
    try {
      await worker.start();
      const jobQueue = toJobQueueName(toRoutingPattern(workerId, 'QuickJob'));
      await admin.queueDeclare({ queue: jobQueue, durable: true, arguments: jobQueueArguments('Quorum') });
      await assert.rejects(admin.queueDeclare({ queue: jobQueue, durable: true, arguments: jobQueueArguments('Classic') }), /PRECONDITION_FAILED/);
      for (const queue of [MilvaionNames.statusUpdatesQueue, MilvaionNames.workerLogsQueue, MilvaionNames.failedOccurrencesQueue, MilvaionNames.workerHeartbeatQueue]) {
        await admin.queueDeclare({ queue, durable: true, arguments: { 'x-queue-type': 'quorum' } });
      }
      const job = toDispatchMessage({ jobName: 'QuickJob', workerId });
      await publisher.send(
        { exchange: MilvaionNames.jobsExchange, routingKey: job.routingKey, durable: true, contentType: 'application/json', correlationId: job.occurrenceId, headers: { ...job.headers } },
        Buffer.from(JSON.stringify(job.body)),
      );
      let completed: Record<string, unknown> | undefined;
      for (let i = 0; i < 100 && completed === undefined; i++) {
        const msg = await admin.basicGet({ queue: MilvaionNames.statusUpdatesQueue, noAck: true });
        const body = msg ? (JSON.parse(Buffer.from(msg.body as Buffer).toString()) as Record<string, unknown>) : undefined;
        if (body?.['OccurrenceId'] === job.occurrenceId && body['Status'] === JobStatus.Completed) completed = body;
        if (!msg) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(completed?.['Result'], 'quick');
    } finally {
      await worker.close({ graceMs: 500 }).catch(() => undefined);
      await publisher.close();
      await admin.close();
    }
  });
});
