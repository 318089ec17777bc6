import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { ConfigSchema, JobConsumerSection, RabbitMqSection, RedisSection, WorkerSection, toCanonicalPath } from '../../../lib/host/config/config-schema.ts';

const messages = (schema: v.GenericSchema, input: unknown) => {
  const result = v.safeParse(schema, input);
  assert.ok(!result.success, `expected ${JSON.stringify(input)} to be rejected`);
  return result.issues.map((issue) => `${(issue.path ?? []).map((p) => String(p.key)).join(':')}: ${issue.message}`);
};

describe('config schema', () => {
  it('coerces strings to numbers and booleans, and numbers to text, as .NET binding does', () => {
    const output = v.parse(WorkerSection, {
      WorkerId: 42,
      MaxParallelJobs: ' 8 ',
      RabbitMQ: { Port: '5673', Ssl: 'TRUE', Password: 1234 },
      Heartbeat: { Enabled: 'false' },
    });
    assert.deepEqual(output, { WorkerId: '42', MaxParallelJobs: 8, RabbitMQ: { Port: 5673, Ssl: true, Password: '1234' }, Heartbeat: { Enabled: false } });
  });

  it('treats a blank number, boolean or choice as unset, but keeps blank free text', () => {
    const output = v.parse(RabbitMqSection, { Port: '', Ssl: ' ', QueueType: '', Password: '', Url: '' });
    assert.deepEqual(output, { Port: undefined, Ssl: undefined, QueueType: undefined, Password: '', Url: '' });
  });

  it('matches QueueType and LogLevel case-insensitively, LogLevel also by its .NET name', () => {
    assert.equal(v.parse(RabbitMqSection, { QueueType: 'QUORUM' }).QueueType, 'Quorum');
    assert.equal(v.parse(WorkerSection, { LogLevel: 'Information' }).LogLevel, 'info');
    assert.equal(v.parse(WorkerSection, { LogLevel: 'Warning' }).LogLevel, 'warn');
    assert.equal(v.parse(WorkerSection, { LogLevel: 'DEBUG' }).LogLevel, 'debug');
    assert.deepEqual(messages(WorkerSection, { LogLevel: 'loud' }), ['LogLevel: expected one of silent, error, warn, info, debug, trace, found "loud"']);
    assert.equal(v.parse(WorkerSection, { LogFormat: 'JSON' }).LogFormat, 'json');
    assert.deepEqual(messages(WorkerSection, { LogFormat: 'xml', StartupConnectionTimeoutSeconds: 0 }), [
      'LogFormat: expected one of text, json, found "xml"',
      'StartupConnectionTimeoutSeconds: expected a whole number ≥ 1, found 0',
    ]);
  });

  it('rejects a WorkerId that is blank or holds ":" or whitespace (the scheduler splits Redis keys on ":")', () => {
    for (const WorkerId of ['', ' ', 'a:b', 'a b', 'a\tb']) assert.equal(messages(WorkerSection, { WorkerId }).length, 1, JSON.stringify(WorkerId));
    assert.equal(v.parse(WorkerSection, { WorkerId: 'email-worker.1' }).WorkerId, 'email-worker.1');
  });

  it('checks ranges and whole numbers', () => {
    for (const Port of [0, 65536, 1.5, '5e5', 'abc', true, [1]]) assert.equal(messages(RabbitMqSection, { Port }).length, 1, JSON.stringify(Port));
    assert.deepEqual(messages(JobConsumerSection, { MaxRetries: -1, MaxParallelJobs: -1, BaseRetryDelaySeconds: 0 }), [
      'MaxParallelJobs: expected a whole number ≥ 0, found -1',
      'MaxRetries: expected a whole number ≥ 0, found -1',
    ]);
    // As in the .NET SDK, 0 means "the worker's MaxParallelJobs" and "no timeout".
    assert.deepEqual(v.parse(JobConsumerSection, { MaxParallelJobs: 0, ExecutionTimeoutSeconds: 0 }), { MaxParallelJobs: 0, ExecutionTimeoutSeconds: 0 });
    assert.match(messages(WorkerSection, { Heartbeat: { IntervalSeconds: 120 } })[0]!, /from 1 to 119 \(the scheduler forgets a worker after 120 s/);
  });

  it('wants an amqp:// or amqps:// Url and hides its password in the message', () => {
    assert.deepEqual(messages(RabbitMqSection, { Url: 'http://u:hidden@rabbit' }), ['Url: expected an amqp:// or amqps:// URL, found "http://u:***@rabbit"']);
    assert.equal(v.parse(RabbitMqSection, { Url: 'amqps://u:p@rabbit:5671/vh' }).Url, 'amqps://u:p@rabbit:5671/vh');
  });

  it('checks the Redis connection string with the same parser the subscriber uses, hiding its password', () => {
    const [message] = messages(RedisSection, { ConnectionString: 'redis:abc,password=hidden' });
    assert.match(message!, /^ConnectionString: expected a Redis connection string .*found "redis:abc,password=\*\*\*": .*not host:port/);
    assert.ok(!message!.includes('hidden'));
    for (const ConnectionString of ['localhost:6379', 'r1:6380,password=x,ssl=true,defaultDatabase=2', 'rediss://u:p@r:6390/1', '']) {
      assert.equal(v.parse(RedisSection, { ConnectionString }).ConnectionString, ConnectionString);
    }
  });

  it('names an unknown key with the known keys, and the nearest one when it looks like a typo', () => {
    assert.deepEqual(messages(RabbitMqSection, { Hots: 'x', Completely: 1 }), [
      'Hots: unknown key "Hots" (did you mean "Hosts"?); known keys: Host, Hosts, Port, Username, Password, VirtualHost, Url, Ssl, QueueType, PersistentStatusMessages, ConsumerTimeoutSeconds, LogBatching, RoutingKeyPattern',
      'Completely: unknown key "Completely"; known keys: Host, Hosts, Port, Username, Password, VirtualHost, Url, Ssl, QueueType, PersistentStatusMessages, ConsumerTimeoutSeconds, LogBatching, RoutingKeyPattern',
    ]);
    assert.deepEqual(messages(WorkerSection, { RabbitMQ: 'amqp://x' }), ['RabbitMQ: expected the RabbitMQ section (an object), found "amqp://x"']);
  });

  it('ignores other top-level sections but not a JobConsumers that is not an object', () => {
    assert.deepEqual(v.parse(ConfigSchema, { Logging: { LogLevel: {} }, AllowedHosts: '*' }), {});
    assert.deepEqual(messages(ConfigSchema, { JobConsumers: 'x' }), ['JobConsumers: expected the JobConsumers section (an object keyed by job name), found "x"']);
  });
});

describe('toCanonicalPath', () => {
  it('maps schema keys to PascalCase, keeps job names and unknown keys as written', () => {
    assert.deepEqual(toCanonicalPath(['WORKER', 'rabbitmq', 'hOsT']), ['Worker', 'RabbitMQ', 'Host']);
    assert.deepEqual(toCanonicalPath(['jobconsumers', 'sendEmailJob', 'maxretries']), ['JobConsumers', 'sendEmailJob', 'MaxRetries']);
    assert.deepEqual(toCanonicalPath(['worker', 'Rabbit', 'host']), ['Worker', 'Rabbit', 'host']);
    assert.deepEqual(toCanonicalPath(['worker', 'workerid', 'deeper']), ['Worker', 'WorkerId', 'deeper']);
  });
});
