// dispatchJob end to end on the real RabbitMQ: a stand-in answers the dispatched job with Running, then the
// scheduler-only Skipped (release 10.1); dispatch prints "Skipped" and exits 3, like every final but Completed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Connection, type Consumer, type Publisher } from 'rabbitmq-client';
import { JobStatus } from '../../../lib/core/vocabulary/types.ts';
import { dispatchJob } from '../../../lib/host/cli/dispatch-job.ts';
import { MilvaionNames, toJobQueueName, toRoutingPattern } from '../../../lib/transports/amqp/milvaion-names.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../../support/amqp-harness.ts';
import { available, needs } from '../../support/services.ts';

describe('dispatchJob and the Skipped status', { timeout: 60_000, ...needs('rabbitmq') }, () => {
  const vhost = `spec-dispatch-skipped-${process.pid}`;
  const url = `${AMQP_URL}/${vhost}`;
  const workerId = 'spec-skipper';
  let rabbit: Connection;
  let standIn: Consumer;
  let publisher: Publisher;
  before(async () => {
    createVhost(vhost);
    rabbit = new Connection(url);
    rabbit.on('error', () => undefined);
    const pattern = toRoutingPattern(workerId, 'EchoJob');
    const queue = toJobQueueName(pattern);
    publisher = rabbit.createPublisher();
    // Not a worker: it reports what the scheduler would set for a step whose condition was false.
    const binding = { exchanges: [{ exchange: MilvaionNames.jobsExchange, type: 'topic', durable: true }], queueBindings: [{ exchange: MilvaionNames.jobsExchange, routingKey: pattern }] };
    standIn = rabbit.createConsumer({ queue, queueOptions: { exclusive: true }, ...binding }, async (msg) => {
      const id = String(msg.correlationId);
      for (const Status of [JobStatus.Running, JobStatus.Skipped]) {
        await publisher.send(MilvaionNames.statusUpdatesQueue, { CorrelationId: id, OccurrenceId: id, Status, Result: null, Exception: null });
      }
    });
    await new Promise((resolve, reject) => standIn.once('ready', resolve).once('error', reject));
    standIn.on('error', () => undefined);
  });
  after(async () => {
    await standIn?.close();
    await publisher?.close();
    await rabbit?.close();
    if (available('rabbitmq')) deleteVhost(vhost);
  });

  it('prints Skipped and exits 3', async () => {
    const lines: string[] = [];
    const out = { log: (line: string) => lines.push(line), error: (line: string) => lines.push(`error: ${line}`) };
    const code = await dispatchJob({ url, jobName: 'EchoJob', data: {}, workerId, timeoutSeconds: 20, force: false, out });
    assert.equal(code, 3, lines.join('\n'));
    assert.deepEqual(lines.slice(-2), ['  Running', '  Skipped']);
  });
});
