// Integration specs: cancellation through the real Redis pub/sub channel, reaching jobs run from RabbitMQ.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { defineJob, JobStatus } from '../../../lib/index.ts';
import type { AmqpWorker } from '../../../lib/amqp.ts';
import { createAmqpHarness, type AmqpHarness } from '../../support/amqp-harness.ts';
import { needs } from '../../support/services.ts';
import { createTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CHANNEL = `spec:${process.pid}:cancellation_channel`;
const runs = new Map<string, number>();
const count = (id: string) => runs.set(id, (runs.get(id) ?? 0) + 1).get(id)!;
const aborted = new Map<string, string>();

const jobs = [
  defineJob({
    name: 'WaitJob',
    run: (_d, ctx) =>
      new Promise((_resolve, reject) => {
        count(ctx.occurrence.id);
        ctx.signal.addEventListener('abort', () => {
          aborted.set(ctx.occurrence.id, `${(ctx.signal.reason as { source: string }).source}: ${(ctx.signal.reason as Error).message}`);
          reject(ctx.signal.reason);
        });
      }),
  }),
  defineJob({ name: 'RetryLaterJob', maxRetries: 3, baseRetryDelaySeconds: 2, run: (_d, ctx) => { count(ctx.occurrence.id); throw new Error('later'); } }),
  defineJob({ name: 'QuickJob', run: () => 'quick' }),
];

describe('Redis cancellation', { timeout: 120_000, ...needs('rabbitmq', 'redis') }, () => {
  let h: AmqpHarness;
  let redisProxy: TcpProxy;
  let worker: AmqpWorker;
  const publisher = createClient({ url: 'redis://127.0.0.1:6379' });
  publisher.on('error', () => undefined);
  const cancel = (payload: unknown) => publisher.publish(CHANNEL, typeof payload === 'string' ? payload : JSON.stringify(payload));

  before(async () => {
    h = await createAmqpHarness('redis');
    redisProxy = await createTcpProxy({ targetPort: 6379 });
    await publisher.connect();
    worker = await h.startWorker({ jobs, redis: { connectionString: `127.0.0.1:${redisProxy.port}`, cancellationChannel: CHANNEL } });
  });
  after(async () => {
    await worker.close({ graceMs: 500 });
    await publisher.close();
    await redisProxy.close();
    await h.close();
  });

  it('a cancel from the dashboard ends a running job Cancelled, acked, not retried', async () => {
    const { occurrenceId, jobId } = await h.scheduler.dispatch({ jobName: 'WaitJob', workerId: h.workerId });
    await h.scheduler.waitUntil(() => runs.get(occurrenceId) === 1, { what: 'the job to start' });
    await cancel({ CorrelationId: occurrenceId, JobId: jobId, OccurrenceId: occurrenceId, Reason: 'Stopped by alice' });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 5000 });
    assert.equal(final.body!.Status, JobStatus.Cancelled);
    assert.match(String(final.body!.Result), /Stopped by alice/);
    assert.equal(aborted.get(occurrenceId), 'user: Stopped by alice');
    await sleep(300);
    assert.equal(h.scheduler.deadLetters(occurrenceId).length, 0);
    assert.equal(runs.get(occurrenceId), 1);
  });

  it('a cancel while the job waits for a scheduled retry stops the retry', async () => {
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'RetryLaterJob', workerId: h.workerId });
    await h.scheduler.waitUntil(() => h.scheduler.logs(occurrenceId).some((l) => (l.body!.Log as Record<string, unknown>)['Category'] === 'Retry'), { what: 'the retry to be scheduled' });
    await cancel({ CorrelationId: occurrenceId, Reason: 'not needed any more' });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    assert.equal(final.body!.Status, JobStatus.Cancelled);
    assert.match(String(final.body!.Result), /not needed any more/);
    assert.equal(runs.get(occurrenceId), 1);
  });

  it('ignores and logs garbage on the channel, and keeps cancelling', async () => {
    const before = worker.health().redis;
    assert.notEqual(before, 'disabled');
    for (const junk of ['not json', '0f8fad5b-d9cb-469f-a165-70867728950e', '[]', '{"CorrelationId":42}', '{"Reason":"no id"}', 'x'.repeat(100_000)]) await cancel(junk);
    await cancel({ CorrelationId: '11111111-2222-4333-8444-555555555555', Reason: 'not running here' });
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'WaitJob', workerId: h.workerId });
    await h.scheduler.waitUntil(() => runs.get(occurrenceId) === 1, { what: 'the job to start' });
    await cancel({ occurrenceid: occurrenceId, reason: 'lower-case keys' });
    assert.equal((await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 5000 })).body!.Status, JobStatus.Cancelled);
    const health = worker.health().redis;
    assert.ok(health !== 'disabled' && before !== 'disabled' && health.ignoredMessages - before.ignoredMessages === 6);
    assert.ok(h.logger.texts().some((l) => l.includes('Ignored a message on')));
  });

  it('Redis away: jobs keep running and completing, health says degraded, the gap is logged once; cancel works again after', async () => {
    redisProxy.cut();
    await h.scheduler.waitUntil(() => {
      const r = worker.health().redis;
      return r !== 'disabled' && r.state === 'degraded';
    }, { what: 'Redis to be seen as degraded', timeoutMs: 15_000 });
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'QuickJob', workerId: h.workerId });
    assert.equal((await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 5000 })).body!.Status, JobStatus.Completed);
    await sleep(1500); // several reconnect attempts
    redisProxy.restore();
    await h.scheduler.waitUntil(() => {
      const r = worker.health().redis;
      return r !== 'disabled' && r.state === 'connected';
    }, { what: 'Redis to be back', timeoutMs: 15_000 });
    assert.equal(h.logger.texts().filter((l) => l.includes('unreachable')).length, 1);
    assert.ok(h.logger.texts().some((l) => l.includes('is back after')));
    const waiting = await h.scheduler.dispatch({ jobName: 'WaitJob', workerId: h.workerId });
    await h.scheduler.waitUntil(() => runs.get(waiting.occurrenceId) === 1, { what: 'the job to start' });
    await sleep(200); // the resubscription completes right after ready
    await cancel({ CorrelationId: waiting.occurrenceId, Reason: 'after the gap' });
    assert.equal((await h.scheduler.waitForFinalStatus(waiting.occurrenceId, { timeoutMs: 5000 })).body!.Status, JobStatus.Cancelled);
  });

  it('shutdown aborts running jobs with its own reason and gives them back to the queue, without a final status', async () => {
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'WaitJob', workerId: h.workerId });
    await h.scheduler.waitUntil(() => runs.get(occurrenceId) === 1, { what: 'the job to start' });
    await worker.close({ graceMs: 200 });
    assert.match(aborted.get(occurrenceId)!, /^shutdown: /);
    await sleep(300);
    assert.equal(h.scheduler.statuses(occurrenceId).filter((m) => m.body!.Status !== JobStatus.Running).length, 0);
    const queue = await h.admin.queueDeclare({ queue: `scheduled_jobs_queue.${h.workerId}.wait.wildcard`, passive: true });
    assert.equal(queue.messageCount, 1);
  });
});
