import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toWorkerConfig } from '../../../lib/host/config/to-worker-config.ts';

const machine = { hostname: 'box:7 a', parallelism: 4 };

describe('toWorkerConfig', () => {
  it('fills every default of worker-config.ts when nothing is set', () => {
    const { worker, jobConsumers } = toWorkerConfig({}, machine);
    assert.equal(worker.workerId, 'box-7-a', 'the scheduler splits on ":", so the host name is cleaned');
    assert.equal(worker.maxParallelJobs, 8);
    assert.deepEqual([worker.executionTimeoutSeconds, worker.shutdownTimeoutSeconds, worker.logLevel], [3600, 30, 'info']);
    assert.deepEqual(worker.rabbitMq, { host: 'localhost', hosts: undefined, port: 5672, username: 'guest', password: 'guest', virtualHost: '/', url: undefined, ssl: false, queueType: 'Classic', persistentStatusMessages: true, consumerTimeoutSeconds: 1800, logBatching: false });
    assert.equal(worker.redis, undefined);
    assert.deepEqual(worker.heartbeat, { enabled: true, intervalSeconds: 30, jobHeartbeatIntervalSeconds: 60 });
    assert.equal(worker.offlineResilience.localStoragePath, './worker_data');
    assert.deepEqual(worker.healthCheck, { enabled: false, liveFilePath: '/tmp/live', readyFilePath: '/tmp/ready', intervalSeconds: 30, httpHost: '127.0.0.1', httpPort: undefined, maxHeartbeatSilenceSeconds: 120 });
    assert.deepEqual(jobConsumers, {});
  });

  it('defaults LogFormat to json off a terminal and text on one, and StartupConnectionTimeoutSeconds to 30', () => {
    assert.equal(toWorkerConfig({}, machine).worker.logFormat, 'json');
    assert.equal(toWorkerConfig({}, { ...machine, stdoutIsTty: true }).worker.logFormat, 'text');
    assert.equal(toWorkerConfig({ Worker: { LogFormat: 'text' } }, machine).worker.logFormat, 'text');
    assert.equal(toWorkerConfig({}, machine).worker.startupConnectionTimeoutSeconds, 30);
    assert.equal(toWorkerConfig({ Worker: { StartupConnectionTimeoutSeconds: 3 } }, machine).worker.startupConnectionTimeoutSeconds, 3);
  });

  it('defaults HealthCheck:MaxHeartbeatSilenceSeconds to 120, or 3 × Heartbeat:IntervalSeconds when larger; a set value (0: off) wins', () => {
    const silence = (settings: Parameters<typeof toWorkerConfig>[0]) => toWorkerConfig(settings, machine).worker.healthCheck.maxHeartbeatSilenceSeconds;
    assert.equal(silence({ Worker: { Heartbeat: { IntervalSeconds: 40 } } }), 120);
    assert.equal(silence({ Worker: { Heartbeat: { IntervalSeconds: 90 } } }), 270);
    assert.equal(silence({ Worker: { HealthCheck: { MaxHeartbeatSilenceSeconds: 45 } } }), 45);
    assert.equal(silence({ Worker: { HealthCheck: { MaxHeartbeatSilenceSeconds: 0 } } }), 0);
  });

  it('falls back to "worker" for an empty host name', () => {
    assert.equal(toWorkerConfig({}, { hostname: '', parallelism: 1 }).worker.workerId, 'worker');
  });

  it('defaults the port to 5671 when Ssl is on, and a blank Url to none', () => {
    const { rabbitMq } = toWorkerConfig({ Worker: { RabbitMQ: { Ssl: true, Url: ' ' } } }, machine).worker;
    assert.deepEqual([rabbitMq.port, rabbitMq.url], [5671, undefined]);
  });

  it('reads RabbitMQ:PersistentStatusMessages (transient statuses and logs, as the .NET SDK sends them)', () => {
    assert.equal(toWorkerConfig({ Worker: { RabbitMQ: { PersistentStatusMessages: false } } }, machine).worker.rabbitMq.persistentStatusMessages, false);
  });

  it('reads RabbitMQ:LogBatching (Milvaion 10.1 log batches; off by default: single messages every scheduler reads)', () => {
    assert.equal(toWorkerConfig({ Worker: { RabbitMQ: { LogBatching: true } } }, machine).worker.rabbitMq.logBatching, true);
    assert.equal(toWorkerConfig({ Worker: { RabbitMQ: {} } }, machine).worker.rabbitMq.logBatching, false);
  });

  it('gives Redis its defaults when the section is present, and none when ConnectionString is blank', () => {
    assert.deepEqual(toWorkerConfig({ Worker: { Redis: { Password: '' } } }, machine).worker.redis, {
      connectionString: 'localhost:6379',
      password: undefined,
      database: 0,
      cancellationChannel: 'Milvaion:JobScheduler:cancellation_channel',
    });
    assert.equal(toWorkerConfig({ Worker: { Redis: { ConnectionString: '  ', Database: 2 } } }, machine).worker.redis, undefined);
  });

  it('leaves unset job consumer keys out, so the defineJob() defaults apply', () => {
    const { jobConsumers } = toWorkerConfig({ JobConsumers: { A: { MaxRetries: 0 }, B: {} } }, machine);
    assert.deepEqual(jobConsumers, { A: { maxRetries: 0 }, B: {} });
    assert.ok(!('consumerId' in jobConsumers['A']!));
  });

  it('reads MaxParallelJobs 0 as the worker value (the .NET rule) and keeps a per-job WorkerId', () => {
    const { jobConsumers } = toWorkerConfig({ Worker: { MaxParallelJobs: 6 }, JobConsumers: { A: { MaxParallelJobs: 0, WorkerId: 'report-worker' } } }, machine);
    assert.deepEqual(jobConsumers['A'], { maxParallelJobs: 6, workerId: 'report-worker' });
  });
});
