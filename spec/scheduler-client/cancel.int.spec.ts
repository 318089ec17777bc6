// scheduler.cancel(): publishes the cancellation on Redis as Milvaion's scheduler does, and a real worker (real
// broker, real Redis, a vhost and a cancellation channel of the spec's own) ends the running occurrence Cancelled.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { createAmqpWorker, type AmqpWorker } from '../../lib/amqp.ts';
import { parseCancellation } from '../../lib/control/redis/parse-cancellation.ts';
import { toCancellationMessage } from '../../lib/control/redis/to-cancellation-message.ts';
import { JobStatus } from '../../lib/index.ts';
import { createSchedulerClient, newOccurrenceId, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { createCancellationPublisher } from '../../lib/scheduler-client/create-cancellation-publisher.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { captureLogger } from '../support/loggers.ts';
import { longRunningJob } from '../support/long-running-job.ts';
import { needs } from '../support/services.ts';

const REDIS = '127.0.0.1:6379';


describe('toCancellationMessage()', () => {
  it("writes the scheduler's JSON: PascalCase keys in its order, JobId null when unknown, and parseCancellation() reads it back", () => {
    const occurrenceId = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const text = toCancellationMessage({ occurrenceId, jobId: undefined, reason: 'wrong month' });
    assert.equal(text, `{"CorrelationId":"${occurrenceId}","JobId":null,"OccurrenceId":"${occurrenceId}","Reason":"wrong month"}`);
    assert.deepEqual(parseCancellation(text)._unsafeUnwrap(), { occurrenceId, jobId: undefined, reason: 'wrong month' });
  });
});

describe('scheduler.cancel()', { ...needs('rabbitmq', 'redis'), timeout: 60_000 }, () => {
  const vhost = `spec-client-cancel-${process.pid}`;
  const url = `${AMQP_URL}/${vhost}`;
  const workerId = `client-cancel-${process.pid}`;
  // A channel of its own: the receiver count is this spec's worker alone.
  const channel = `spec:${process.pid}:cancellation_channel`;
  let scheduler: SchedulerClient;
  let worker: AmqpWorker;
  before(async () => {
    createVhost(vhost);
    scheduler = await createSchedulerClient({ url, workerId, redis: { connectionString: REDIS, cancellationChannel: channel } });
    worker = createAmqpWorker({ workerId, logger: captureLogger(), rabbitmq: { url }, jobs: [longRunningJob], outbox: false, redis: { connectionString: REDIS, cancellationChannel: channel } });
    await worker.start();
  });
  after(async () => {
    await worker?.close({ graceMs: 1000 });
    await scheduler?.close();
    deleteVhost(vhost);
  });

  it('ends a running job Cancelled, with the reason, and says how many subscribers received it', async () => {
    const { occurrenceId } = await scheduler.dispatch(longRunningJob);
    await scheduler.waitFor(() => scheduler.statuses(occurrenceId).some((m) => m.body?.Status === JobStatus.Running), { what: 'Running' });
    const published = await scheduler.cancel(occurrenceId, 'stopped by the spec');
    assert.deepEqual(published, { occurrenceId, receivers: 1, channel, address: 'redis://127.0.0.1:6379/0' });
    const final = await scheduler.waitForFinalStatus(occurrenceId);
    assert.equal(final.body?.Status, JobStatus.Cancelled);
    const logs = scheduler.logs(occurrenceId).map((m) => JSON.stringify(m.body?.Log));
    assert.ok(logs.some((l) => l.includes('stopped by the spec')), `a log names the reason: ${logs.join('\n')}`);
  });

  it("publishes the scheduler's message: CorrelationId, JobId, OccurrenceId and Reason, which the .NET SDK reads", async () => {
    const subscriber = createClient({ socket: { host: '127.0.0.1', port: 6379 } });
    await subscriber.connect();
    try {
      const received: string[] = [];
      await subscriber.subscribe(channel, (message) => void received.push(message));
      const occurrenceId = newOccurrenceId();
      const { jobId } = await scheduler.dispatch({ jobName: 'LongRunningJob', occurrenceId, data: {}, workerId: `nobody-${process.pid}` });
      const published = await scheduler.cancel(occurrenceId.toUpperCase());
      assert.equal(published.receivers, 2); // the worker (which ignores it: not running there) and this subscriber
      await scheduler.waitUntil(() => received.length > 0, { what: 'the message on the channel' });
      assert.deepEqual(JSON.parse(received[0]!), { CorrelationId: occurrenceId.toUpperCase(), JobId: jobId, OccurrenceId: occurrenceId.toUpperCase(), Reason: 'Cancelled by the test scheduler' });
      assert.deepEqual(parseCancellation(received[0]!)._unsafeUnwrap(), { occurrenceId, jobId, reason: 'Cancelled by the test scheduler' });
    } finally {
      await subscriber.close();
    }
  });

  it('refuses an occurrence id that is not a UUID, naming it, before it connects', async () => {
    const publisher = createCancellationPublisher('127.0.0.1:1');
    await assert.rejects(publisher.publish({ occurrenceId: 'job-42' }), /Cannot cancel "job-42": the occurrence id must be a UUID/);
    await assert.rejects(publisher.publish({ occurrenceId: newOccurrenceId() }), /Redis redis:\/\/127\.0\.0\.1:1\/0 not reachable: .*ECONNREFUSED/);
    await publisher.close();
  });
});
