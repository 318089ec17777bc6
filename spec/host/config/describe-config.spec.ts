import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeConfig } from '../../../lib/host/config/describe-config.ts';
import { toWorkerConfig } from '../../../lib/host/config/to-worker-config.ts';

const machine = { hostname: 'h', parallelism: 2 };

describe('describeConfig', () => {
  it('summarises each section in a line, with no secret in it', () => {
    const text = describeConfig(
      toWorkerConfig(
        {
          Worker: {
            WorkerId: 'email-worker',
            RabbitMQ: { Host: ['rabbit'], Password: 'rabbit-secret', QueueType: 'Quorum' },
            Redis: { ConnectionString: 'redis:6379,password=redis-secret' },
            HealthCheck: { Enabled: true, HttpPort: 8080 },
          },
          JobConsumers: { SendEmailJob: { ConsumerId: 'email-consumer', MaxRetries: 3 }, Other: {} },
        },
        machine,
      ),
    );
    assert.match(text, /^Worker email-worker: up to 4 jobs at once/);
    assert.match(text, /\nRabbitMQ: amqp:\/\/guest:\*\*\*@rabbit:5672\/%2F \(Quorum queues\)/);
    assert.match(text, /\nRedis: redis:6379,password=\*\*\*, database 0/);
    assert.match(text, /\nHealth: files \/tmp\/live and \/tmp\/ready every 30 s; HTTP on 127\.0\.0\.1:8080/);
    assert.match(text, /\nJobConsumers: SendEmailJob, Other\n {2}SendEmailJob: consumer email-consumer, 3 retries$/);
    assert.ok(!text.includes('secret'));
  });

  it('names each job\'s rate limit and cap across processes', () => {
    const text = describeConfig(
      toWorkerConfig(
        {
          Worker: { Redis: { ConnectionString: 'redis:6379' } },
          JobConsumers: { CallApiJob: { RateLimit: { Count: 10, PeriodSeconds: 1, Scope: 'Shared', KeyPath: 'tenant' } }, ChargeJob: { MaxParallelJobsGlobal: 4 } },
        },
        machine,
      ),
    );
    assert.match(text, /\n {2}CallApiJob: rate limit 10 per 1 s shared per tenant\n {2}ChargeJob: 4 at once across processes$/);
  });

  it('says what is off', () => {
    const text = describeConfig(toWorkerConfig({ Worker: { Heartbeat: { Enabled: false }, OfflineResilience: { Enabled: false } } }, machine));
    for (const line of ['Redis: none', 'Heartbeat: off', 'Outbox: off', 'Health: off', 'JobConsumers: none']) assert.ok(text.includes(line), line);
  });
});
