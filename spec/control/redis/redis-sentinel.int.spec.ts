// Integration spec: Worker:Redis:ConnectionString with serviceName= (Sentinel, through node-redis's createSentinel),
// against a primary, its replica and a Sentinel of this spec. The primary dies while a job runs; the Sentinel
// promotes the replica; a cancel published through the same connection string reaches the job on the new primary.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobStatus } from '../../../lib/index.ts';
import { longRunningJob } from '../../support/long-running-job.ts';
import { createAmqpHarness, type AmqpHarness } from '../../support/amqp-harness.ts';
import { needs } from '../../support/services.ts';
import { freePort } from '../../support/free-port.ts';
import { startRedisServer, startSentinel, stopAll, publishOnce, type RedisServer } from '../../support/redis-servers.ts';

const CHANNEL = `spec:${process.pid}:sentinel_channel`;
const jobs = [longRunningJob];
const running = (h: AmqpHarness, occurrenceId: string) =>
  h.scheduler.waitUntil(() => h.scheduler.statuses(occurrenceId).some((m) => m.body?.Status === JobStatus.Running), { what: 'the job to run' });

describe('Redis through Sentinel', { timeout: 120_000, ...needs('rabbitmq') }, () => {
  let h: AmqpHarness;
  let primary: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisServer;
  before(async () => {
    h = await createAmqpHarness('redis-sentinel');
    primary = await startRedisServer();
    replica = await startRedisServer(['--replicaof', '127.0.0.1', String(primary.port)]);
    sentinel = await startSentinel('specprimary', primary.port);
    // The Sentinel learns of the replica from the primary's INFO; it can promote it only once it knows it.
    for (let i = 0; !(await sentinel.command('SENTINEL', 'REPLICAS', 'specprimary')).includes(String(replica.port)); i++) {
      assert.ok(i < 200, 'the Sentinel did not see the replica within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  after(async () => {
    await h.close();
    await stopAll();
  });

  it('follows the primary the Sentinel names: after a failover, a cancel reaches the running job on the new primary', async () => {
    const connectionString = `127.0.0.1:${sentinel.port},serviceName=specprimary,connectTimeout=1000`;
    const worker = await h.startWorker({ jobs, redis: { connectionString, cancellationChannel: CHANNEL } });
    const redis = () => {
      const r = worker.health().redis;
      assert.ok(r !== 'disabled');
      return r;
    };
    assert.equal(redis().address, `redis://127.0.0.1:${primary.port}/0`);

    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'LongRunningJob', workerId: h.workerId });
    await running(h, occurrenceId);
    await primary.kill();
    await h.scheduler.waitUntil(() => redis().state === 'connected' && redis().address === `redis://127.0.0.1:${replica.port}/0`, {
      what: 'the Sentinel to promote the replica and the worker to follow',
      timeoutMs: 45_000,
    });

    const sent = await publishOnce({ connectionString, cancellationChannel: CHANNEL }, occurrenceId, 'cancelled through Sentinel');
    assert.equal(sent.address, `redis://127.0.0.1:${replica.port}/0`);
    assert.equal(sent.receivers, 1);
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 5000 });
    assert.equal(final.body!.Status, JobStatus.Cancelled);
    assert.match(String(final.body!.Result), /cancelled through Sentinel/);
    assert.ok(h.logger.texts().some((l) => l.includes(`on another node (it was 127.0.0.1:${primary.port})`)), h.logger.texts().join('\n'));
  });

  it('a publisher (the CLI\'s cancel) with no Sentinel up fails after one try of each, instead of waiting forever', async () => {
    const down = await freePort();
    await assert.rejects(
      publishOnce({ connectionString: `127.0.0.1:${down},serviceName=specprimary,connectTimeout=300`, cancellationChannel: CHANNEL }, '7c9e6679-7425-40de-944b-e07fc1f90ae7', 'nobody hears this'),
      /Redis redis:\/\/specprimary\/0 \(Sentinels 127\.0\.0\.1:\d+\) not reachable: no Sentinel named a reachable primary within 300 ms/,
    );
  });
});
