import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toJobQueueName, toRoutingPattern } from '../../../lib/amqp.ts';
import { redactUrl, toAmqpUrl } from '../../../lib/transports/amqp/to-amqp-url.ts';
import { toDispatchRoutingKey, toRetryQueueName } from '../../../lib/transports/amqp/milvaion-names.ts';

describe('Milvaion names', () => {
  it('follows the .NET routing-pattern convention', () => {
    assert.equal(toRoutingPattern('Email-Worker-01', 'SendEmailJob'), 'email-worker-01.sendemail.*');
    assert.equal(toRoutingPattern('w', 'NonParallelJob'), 'w.nonparallel.*');
    assert.equal(toRoutingPattern('w', 'Report'), 'w.report.*');
  });

  it('names queues and dispatch keys as the scheduler does', () => {
    assert.equal(toJobQueueName('sample-worker.test.*'), 'scheduled_jobs_queue.sample-worker.test.wildcard');
    assert.equal(toJobQueueName('a.#'), 'scheduled_jobs_queue.a.all');
    assert.equal(toDispatchRoutingKey('email-worker-01.sendemail.*'), 'email-worker-01.sendemail.job');
  });

  it('gives retry-delay queues a prefix no Milvaion name uses', () => {
    const name = toRetryQueueName('scheduled_jobs_queue.w.x.wildcard', 5000);
    assert.equal(name, 'milvaion-worker.retry-delay.scheduled_jobs_queue.w.x.wildcard.5000ms');
    for (const milvaion of ['jobs.topic', 'dlx_scheduled_jobs', 'scheduled_jobs_queue', 'worker_logs_queue', 'failed_jobs_queue']) assert.ok(!name.startsWith(milvaion));
  });

  it('builds URLs with encoded credentials and redacts the password for logs', () => {
    const url = toAmqpUrl({ host: 'mq', port: 5673, username: 'u@x', password: 'p:w/d', virtualHost: '/' });
    assert.equal(url, 'amqp://u%40x:p%3Aw%2Fd@mq:5673/%2F');
    assert.equal(redactUrl(url), 'amqp://u%40x:***@mq:5673/%2F');
    assert.equal(toAmqpUrl({ tls: true, host: 'mq' }).startsWith('amqps://guest:guest@mq:5671/'), true);
    assert.equal(redactUrl('amqp://localhost'), 'amqp://localhost');
  });
});
