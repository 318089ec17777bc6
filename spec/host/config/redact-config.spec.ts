import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactConfig, redactSecrets } from '../../../lib/host/config/redact-config.ts';
import { toWorkerConfig } from '../../../lib/host/config/to-worker-config.ts';

describe('redactSecrets', () => {
  it('masks the password of every connection string form', () => {
    assert.equal(redactSecrets('amqps://app:s3cret@rabbit:5671/vh'), 'amqps://app:***@rabbit:5671/vh');
    assert.equal(redactSecrets('redis://default:s3cret@redis:6379/0'), 'redis://default:***@redis:6379/0');
    assert.equal(redactSecrets('rediss://:s3cret@redis'), 'rediss://:***@redis');
    assert.equal(redactSecrets('redis://u:p@ss@redis:6379'), 'redis://u:***@redis:6379', 'a raw "@" in the password is masked whole');
    assert.equal(redactSecrets('r1:6379,r2:6380,Password = s3cret,ssl=true'), 'r1:6379,r2:6380,Password =***,ssl=true');
    assert.equal(redactSecrets('password=s3cret'), 'password=***');
    assert.equal(redactSecrets('localhost:6379'), 'localhost:6379');
  });
});

describe('redactConfig', () => {
  it('returns a deep copy with every password masked and the original untouched', () => {
    const config = toWorkerConfig(
      {
        Worker: {
          RabbitMQ: { Password: 'p1-secret', Url: 'amqp://u:p2-secret@rabbit' },
          Redis: { ConnectionString: 'redis:6379,password=p3-secret', Password: 'p4-secret' },
        },
        JobConsumers: { A: { MaxRetries: 1 } },
      },
      { hostname: 'h', parallelism: 1 },
    );
    const redacted = redactConfig(config) as typeof config;
    const text = JSON.stringify(redacted);
    for (const secret of ['p1-secret', 'p2-secret', 'p3-secret', 'p4-secret']) assert.ok(!text.includes(secret), secret);
    assert.equal(redacted.worker.rabbitMq.password, '***');
    assert.equal(redacted.worker.redis?.password, '***');
    assert.equal(config.worker.rabbitMq.password, 'p1-secret');
    assert.notEqual(redacted.jobConsumers['A'], config.jobConsumers['A']);
    assert.notEqual(redacted.worker.heartbeat, config.worker.heartbeat);
  });

  it('leaves an absent Redis and Url absent', () => {
    const redacted = redactConfig(toWorkerConfig({}, { hostname: 'h', parallelism: 1 })) as { worker: { redis: unknown; rabbitMq: { url: unknown } } };
    assert.equal(redacted.worker.redis, undefined);
    assert.equal(redacted.worker.rabbitMq.url, undefined);
  });
});
