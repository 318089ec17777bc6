// Several brokers (`Worker:RabbitMQ:Hosts`), against the real RabbitMQ on 127.0.0.1 behind two TCP proxies that
// stand for two nodes of a cluster: the worker connects to the first that answers, and when the one it uses
// goes away it fails over to the other, consumers, relay and heartbeats included. The failover onto a real
// cluster node that stops is in spec/cluster/cluster-failover.slow.spec.ts.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { defineJob, JobStatus } from '../../lib/index.ts';
import { createAmqpHarness, type AmqpHarness } from '../support/amqp-harness.ts';
import { needs } from '../support/services.ts';
import { createTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const echo = defineJob({ name: 'EchoJob', run: (_d, ctx) => (ctx.log.info('echo'), 'echoed') });

describe('a worker with several brokers', needs('rabbitmq'), () => {
  let h: AmqpHarness;
  let second: TcpProxy;
  before(async () => {
    h = await createAmqpHarness('failover');
    second = await createTcpProxy({ targetPort: 5672 });
  });
  afterEach(async () => {
    await h.closeWorkers();
    second.restore();
  });
  after(async () => {
    await h.close();
    await second.close();
  });

  /** The worker's RabbitMQ settings: the harness's proxy first, the second proxy next. */
  const brokers = () => {
    const vhost = new URL(h.url).pathname.slice(1);
    return { url: `amqp://guest:guest@127.0.0.1:${h.proxy.port}/${vhost}`, hosts: [`127.0.0.1:${h.proxy.port}`, `127.0.0.1:${second.port}`] };
  };

  it('starts on the second broker when the first refuses connections, and says which brokers it tries', async () => {
    h.proxy.cut();
    const worker = await h.startWorker({ jobs: [echo], rabbitmq: brokers(), startupTimeoutSeconds: 10 });
    assert.ok(second.connections >= 2, `consume and publish connections on the second broker: ${second.connections}`);
    assert.equal(h.proxy.connections, 0);
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'EchoJob', workerId: h.workerId });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    assert.equal(final.body!.Status, JobStatus.Completed);
    assert.ok(h.logger.messages().some((l) => l.includes(`(brokers 127.0.0.1:${h.proxy.port}, 127.0.0.1:${second.port})`)), 'the connecting line names both brokers');
    assert.ok(!h.logger.texts().some((l) => l.includes('guest:guest')), 'no password in the logs');
    await worker.close({ graceMs: 1000 });
  });

  it('fails over to the other broker within 10 s when the one in use goes away, and runs the next job there', async () => {
    const worker = await h.startWorker({ jobs: [echo], rabbitmq: brokers() });
    assert.ok(h.proxy.connections >= 2 && second.connections === 0, 'on the first broker');
    const before = await h.scheduler.dispatch({ jobName: 'EchoJob', workerId: h.workerId });
    await h.scheduler.waitForFinalStatus(before.occurrenceId, { timeoutMs: 10_000 });
    const heartbeatsBefore = h.scheduler.heartbeats(h.workerId).length;
    const cutAt = Date.now();
    h.proxy.cut();
    const after = await h.scheduler.dispatch({ jobName: 'EchoJob', workerId: h.workerId });
    const final = await h.scheduler.waitForFinalStatus(after.occurrenceId, { timeoutMs: 10_000 });
    const tookMs = Date.now() - cutAt;
    assert.equal(final.body!.Status, JobStatus.Completed);
    assert.ok(tookMs < 10_000, `the job dispatched at the cut completed ${tookMs} ms later`);
    assert.ok(second.connections >= 2, `consume and publish connections moved: ${second.connections}`);
    assert.deepEqual(h.scheduler.statuses(after.occurrenceId).map((m) => m.body!.Status), [JobStatus.Running, JobStatus.Completed]);
    // Logs travel on their own queue: no arrival order against the statuses.
    await h.scheduler.waitUntil(() => h.scheduler.logs(after.occurrenceId).length > 0, { what: 'the job log', timeoutMs: 5000 });
    assert.deepEqual(h.scheduler.logs(after.occurrenceId).map((m) => (m.body!.Log as { Message: string }).Message), ['echo']);
    await h.scheduler.waitUntil(() => h.scheduler.heartbeats(h.workerId).length > heartbeatsBefore + 1, { what: 'heartbeats after the failover', timeoutMs: 5000 });
    assert.ok(h.logger.messages().some((l) => l.includes('connection restored') && l.includes(`via 127.0.0.1:`)), 'the restore line says which broker');
    await worker.close({ graceMs: 1000 });
  });
});
