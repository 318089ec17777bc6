// Failover onto a real cluster node: a worker given the three nodes of the local cluster in
// Worker:RabbitMQ:Hosts (quorum queues, as a clustered Milvaion deployment runs them) is connected to the first
// node; that node stops; the worker reconnects to another and a job dispatched at the stop completes within 10 s.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defineJob, JobStatus } from '../../lib/index.ts';
import { createAmqpWorker, type AmqpWorker } from '../../lib/amqp.ts';
import { createSchedulerClient, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { captureLogger } from '../support/loggers.ts';
import { needsLocalCluster, startLocalCluster, type LocalCluster } from './local-cluster.ts';

const echo = defineJob({ name: 'EchoJob', run: (_d, ctx) => (ctx.log.info('echo'), 'echoed') });

describe('failover to another cluster node', { timeout: 180_000, ...needsLocalCluster() }, () => {
  let cluster: LocalCluster;
  let vhost: string;
  let scheduler: SchedulerClient;
  let worker: AmqpWorker | undefined;
  const logger = captureLogger();
  const workerId = `spec-failover-${process.pid}`;
  before(async () => {
    cluster = await startLocalCluster();
    vhost = cluster.createVhost(`spec-failover-${process.pid}`);
    // The scheduler's side starts on the last node, which stays up.
    scheduler = await createSchedulerClient({ url: `amqp://guest:guest@${cluster.hosts[2]}/${vhost}`, hosts: [...cluster.hosts].reverse(), queueType: 'Quorum', connectTimeoutMs: 20_000 });
  });
  after(async () => {
    await worker?.close({ graceMs: 1000 });
    await scheduler?.close();
    if (cluster !== undefined) {
      for (let i = 0; i < cluster.nodes.length; i++) if (!(await cluster.runningNodes()).includes(cluster.nodes[i]!)) await cluster.startNode(i);
      cluster.deleteVhost(vhost);
    }
  });

  it('reconnects to another node and completes the next job within 10 s of the node it used stopping', async () => {
    worker = createAmqpWorker({
      workerId,
      jobs: [echo],
      logger,
      heartbeatIntervalSeconds: 1,
      rabbitmq: { url: `amqp://guest:guest@${cluster.hosts[0]}/${vhost}`, hosts: cluster.hosts, queueType: 'Quorum', retryLowMs: 200, retryHighMs: 1000 },
    });
    await worker.start();
    const first = await scheduler.dispatch({ jobName: 'EchoJob', workerId });
    assert.equal((await scheduler.waitForFinalStatus(first.occurrenceId, { timeoutMs: 15_000 })).body!.Status, JobStatus.Completed);
    assert.ok(!logger.messages().some((l) => l.includes('connection restored')), 'connected to the first node from the start');
    const stoppedAt = Date.now();
    await cluster.stopNode(0);
    const next = await scheduler.dispatch({ jobName: 'EchoJob', workerId });
    const final = await scheduler.waitForFinalStatus(next.occurrenceId, { timeoutMs: 10_000 });
    const tookMs = Date.now() - stoppedAt;
    assert.equal(final.body!.Status, JobStatus.Completed);
    assert.ok(tookMs < 10_000, `completed ${tookMs} ms after the node stopped`);
    const restored = logger.messages().filter((l) => l.includes('connection restored'));
    assert.ok(restored.length >= 2 && restored.every((l) => !l.includes(`via 127.0.0.1:${cluster.ports[0]}`)), `both connections moved off the stopped node: ${restored.join(' | ')}`);
    console.log(`failover: the job dispatched at the stop of ${cluster.nodes[0]} completed after ${tookMs} ms`);
  });
});
