// Integration specs: a Worker:Redis:ConnectionString with several endpoints (StackExchange's form), against
// redis-server processes of this spec on free ports. The first endpoint down at start: the worker's cancellation
// uses the second; with abortConnect=false and none up, it starts anyway. The node in use dies while a job runs, its replica is promoted: a cancel published there still
// reaches the job, and the worker logs the node it reached.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobStatus } from '../../../lib/index.ts';
import { longRunningJob } from '../../support/long-running-job.ts';
import { createAmqpHarness, type AmqpHarness } from '../../support/amqp-harness.ts';
import { needs } from '../../support/services.ts';
import { freePort } from '../../support/free-port.ts';
import { startRedisServer, stopAll, publishOnce } from '../../support/redis-servers.ts';

const CHANNEL = `spec:${process.pid}:failover_channel`;
const jobs = [longRunningJob];
const running = (h: AmqpHarness, occurrenceId: string) =>
  h.scheduler.waitUntil(() => h.scheduler.statuses(occurrenceId).some((m) => m.body?.Status === JobStatus.Running), { what: 'the job to run' });

const redisOf = (worker: { health(): { redis: unknown } }) => {
  const redis = worker.health().redis;
  assert.ok(typeof redis === 'object' && redis !== null);
  return redis as { state: string; address: string };
};

describe('Redis with several endpoints', { timeout: 120_000, ...needs('rabbitmq') }, () => {
  let h: AmqpHarness;
  before(async () => {
    h = await createAmqpHarness('redis-failover');
  });
  after(async () => {
    await h.close();
    await stopAll();
  });

  it('the first endpoint down at start: the worker\'s cancellation connects to the second (with its password, never logged), and a cancel there reaches a job', async () => {
    const down = await freePort();
    const second = await startRedisServer(['--requirepass', 'Failover-Pa55']);
    const connectionString = `127.0.0.1:${down},127.0.0.1:${second.port},PASSWORD=Failover-Pa55,abortConnect=true,connectTimeout=2000`;
    const worker = await h.startWorker({ jobs, redis: { connectionString, cancellationChannel: CHANNEL } });
    assert.deepEqual(redisOf(worker), { ...redisOf(worker), state: 'connected', address: `redis://127.0.0.1:${second.port}/0` });
    assert.ok(h.logger.texts().some((l) => l.includes(`Listening for cancellations on redis://127.0.0.1:${second.port}/0`)), h.logger.texts().join('\n'));

    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'LongRunningJob', workerId: h.workerId });
    await running(h, occurrenceId);
    const sent = await publishOnce({ connectionString, cancellationChannel: CHANNEL }, occurrenceId, 'stopped on the second node');
    assert.equal(sent.receivers, 1);
    assert.equal(sent.address, `redis://127.0.0.1:${second.port}/0`);
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 5000 });
    assert.equal(final.body!.Status, JobStatus.Cancelled);
    assert.match(String(final.body!.Result), /stopped on the second node/);
    assert.ok(!h.logger.texts().some((l) => l.includes('Failover-Pa55')), 'no log line holds the password');
    await h.closeWorkers();
  });

  it('abortConnect=false with no endpoint up: the worker starts, says it runs without cancellation, and listens once a node answers', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const worker = await h.startWorker({ jobs, redis: { connectionString: `127.0.0.1:${a},127.0.0.1:${b},abortConnect=false`, cancellationChannel: CHANNEL } });
    assert.notEqual(redisOf(worker).state, 'connected');
    assert.ok(h.logger.texts().some((l) => l.includes('not reachable yet') && l.includes('the worker runs')), h.logger.texts().join('\n'));
    await startRedisServer([], b);
    await h.scheduler.waitUntil(() => redisOf(worker).state === 'connected', { what: 'the worker to reach the node that came up', timeoutMs: 15_000 });
    assert.equal(redisOf(worker).address, `redis://127.0.0.1:${b}/0`);
    await h.closeWorkers();
  });

  it('the node in use dies while a job runs and its replica is promoted: a cancel published there reaches the job', async () => {
    const primary = await startRedisServer();
    const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(primary.port)]);
    // Listed replica first: the worker asks each node its ROLE and uses the primary.
    const connectionString = `127.0.0.1:${replica.port},127.0.0.1:${primary.port},password=,connectTimeout=1000`;
    const worker = await h.startWorker({ jobs, redis: { connectionString, cancellationChannel: CHANNEL } });
    assert.equal(redisOf(worker).address, `redis://127.0.0.1:${primary.port}/0`);

    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'LongRunningJob', workerId: h.workerId });
    await running(h, occurrenceId);
    await primary.kill();
    await replica.command('REPLICAOF', 'NO', 'ONE');
    await h.scheduler.waitUntil(() => redisOf(worker).state === 'connected' && redisOf(worker).address === `redis://127.0.0.1:${replica.port}/0`, {
      what: 'the worker to reach the promoted replica',
      timeoutMs: 15_000,
    });
    assert.equal(h.scheduler.statuses(occurrenceId).filter((m) => m.body?.Status !== JobStatus.Running).length, 0, 'the job still runs');

    // The scheduler's side publishes on the new primary (the old one is gone).
    const sent = await publishOnce({ connectionString, cancellationChannel: CHANNEL }, occurrenceId, 'cancelled after the failover');
    assert.equal(sent.address, `redis://127.0.0.1:${replica.port}/0`);
    assert.equal(sent.receivers, 1);
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 5000 });
    assert.equal(final.body!.Status, JobStatus.Cancelled);
    assert.match(String(final.body!.Result), /cancelled after the failover/);
    const texts = h.logger.texts();
    assert.equal(texts.filter((l) => l.includes(`Redis redis://127.0.0.1:${primary.port}/0 unreachable`)).length, 1, texts.join('\n'));
    assert.ok(texts.some((l) => l.includes(`Redis redis://127.0.0.1:${replica.port}/0 is back after`) && l.includes(`on another node (it was 127.0.0.1:${primary.port})`)), texts.join('\n'));
    await h.closeWorkers();
  });
});
