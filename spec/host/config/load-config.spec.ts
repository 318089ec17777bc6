import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig, redactConfig, type ConfigError } from '../../../lib/host/config/load-config.ts';
import type { WorkerConfig } from '../../../lib/host/config/worker-config.ts';
import { toAmqpHosts, toAmqpUrl } from '../../../lib/transports/amqp/to-amqp-url.ts';

// The Quick Start appsettings.json of the .NET worker SDK reference, unchanged.
const DOTNET_SAMPLE = `{
  "Logging": {
    "LogLevel": {
      "Default": "Information"
    }
  },
  "Worker": {
    "WorkerId": "email-worker",
    "MaxParallelJobs": 10,
    "ExecutionTimeoutSeconds": 300,
    "RabbitMQ": {
      "Host": "localhost",
      "Port": 5672,
      "Username": "guest",
      "Password": "guest",
      "VirtualHost": "/"
    },
    "Redis": {
      "ConnectionString": "localhost:6379",
      "Password": "",
      "Database": 0,
      "CancellationChannel": "Milvaion:JobScheduler:cancellation_channel"
    },
    "Heartbeat": {
      "Enabled": true,
      "IntervalSeconds": 5
    }
  },
  "JobConsumers": {
    "SendEmailJob": {
      "ConsumerId": "email-consumer",
      "MaxParallelJobs": 20,
      "ExecutionTimeoutSeconds": 120,
      "MaxRetries": 3,
      "BaseRetryDelaySeconds": 10,
      "LogUserFriendlyLogsViaLogger": true
    }
  }
}
`;

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp directory holding the given files. */
function tempDir(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'milvaion-config-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function load(cwd: string, more: Omit<Parameters<typeof loadConfig>[0], 'cwd'> = {}): WorkerConfig {
  const result = loadConfig({ env: {}, cwd, ...more });
  if (result.isErr()) assert.fail(result.error.format());
  return result.value;
}

function loadError(cwd: string, more: Omit<Parameters<typeof loadConfig>[0], 'cwd'> = {}): ConfigError {
  const result = loadConfig({ env: {}, cwd, ...more });
  assert.ok(result.isErr(), 'expected the configuration to be rejected');
  return result.error;
}

describe('loadConfig', () => {
  it('loads the .NET Quick Start appsettings.json unchanged, Logging included, and fills the other defaults', () => {
    const config = load(tempDir({ 'appsettings.json': DOTNET_SAMPLE }));
    assert.deepEqual(config, {
      worker: {
        workerId: 'email-worker',
        maxParallelJobs: 10,
        executionTimeoutSeconds: 300,
        shutdownTimeoutSeconds: 30,
        maxMessageBytes: 4194304,
        maxCrashRedeliveries: 3,
        sharedOccurrenceRecords: true,
        logLevel: 'info',
        logFormat: 'json', // stdout is a pipe under the test runner
        startupConnectionTimeoutSeconds: 30,
        rabbitMq: { host: 'localhost', hosts: undefined, port: 5672, username: 'guest', password: 'guest', virtualHost: '/', url: undefined, ssl: false, queueType: 'Classic', persistentStatusMessages: true, consumerTimeoutSeconds: 1800, logBatching: false },
        redis: { connectionString: 'localhost:6379', password: undefined, database: 0, cancellationChannel: 'Milvaion:JobScheduler:cancellation_channel' },
        heartbeat: { enabled: true, intervalSeconds: 5, jobHeartbeatIntervalSeconds: 60 },
        offlineResilience: {
          enabled: true,
          localStoragePath: './worker_data',
          syncIntervalSeconds: 30,
          maxSyncRetries: 3,
          cleanupIntervalHours: 1,
          recordRetentionDays: 1,
          maxPendingEntries: 100_000,
          maxPendingBytes: undefined,
          maxPendingAgeSeconds: 3600,
          diskSpaceReserveBytes: undefined,
          diskSpaceWarningBytes: undefined,
          coalesceStatuses: false,
        },
        healthCheck: { enabled: false, liveFilePath: '/tmp/live', readyFilePath: '/tmp/ready', intervalSeconds: 30, httpHost: '127.0.0.1', httpPort: undefined, maxHeartbeatSilenceSeconds: 120 },
      },
      jobConsumers: {
        SendEmailJob: { consumerId: 'email-consumer', maxParallelJobs: 20, executionTimeoutSeconds: 120, maxRetries: 3, baseRetryDelaySeconds: 10, logUserFriendlyLogsViaLogger: true },
      },
    });
  });

  it('without a default appsettings.json uses every default: host name, cores × 2, no Redis', () => {
    const config = load(tempDir());
    assert.equal(config.worker.workerId, os.hostname().replace(/[\s:]+/g, '-'));
    assert.equal(config.worker.maxParallelJobs, os.availableParallelism() * 2);
    assert.equal(config.worker.executionTimeoutSeconds, 3600);
    assert.equal(config.worker.redis, undefined);
    assert.deepEqual(config.jobConsumers, {});
  });

  it('reads keys in any casing, as .NET configuration binding does', () => {
    const dir = tempDir({
      'appsettings.json': JSON.stringify({
        WORKER: { workerid: 'w1', RABBITMQ: { hOsT: 'rabbit', port: 5673, queuetype: 'quorum' }, heartbeat: { INTERVALSECONDS: 10 } },
        jobconsumers: { SendEmailJob: { maxretries: 5, consumerid: 'c1' } },
      }),
    });
    const config = load(dir);
    assert.equal(config.worker.workerId, 'w1');
    assert.equal(config.worker.rabbitMq.host, 'rabbit');
    assert.equal(config.worker.rabbitMq.port, 5673);
    assert.equal(config.worker.rabbitMq.queueType, 'Quorum');
    assert.equal(config.worker.heartbeat.intervalSeconds, 10);
    assert.deepEqual(config.jobConsumers, { SendEmailJob: { maxRetries: 5, consumerId: 'c1' } });
  });

  it('ignores every other top-level section (Logging, AllowedHosts, ConnectionStrings, anything else)', () => {
    const dir = tempDir({
      'appsettings.json': JSON.stringify({ Logging: { Whatever: [1, 2] }, AllowedHosts: '*', ConnectionStrings: { Db: 5 }, Serilog: null, Worker: { WorkerId: 'w' } }),
    });
    assert.equal(load(dir).worker.workerId, 'w');
  });

  it('lets appsettings.{Environment}.json win over appsettings.json, key by key', () => {
    const dir = tempDir({
      'appsettings.json': DOTNET_SAMPLE,
      'appsettings.Production.json': '{ "Worker": { "RabbitMQ": { "Host": "rabbit.prod" }, "MaxParallelJobs": 40 } }',
      'appsettings.Staging.json': '{ "Worker": { "RabbitMQ": { "Host": "rabbit.staging" } } }',
    });
    const prod = load(dir, { environment: 'Production' });
    assert.equal(prod.worker.rabbitMq.host, 'rabbit.prod');
    assert.equal(prod.worker.maxParallelJobs, 40);
    assert.equal(prod.worker.rabbitMq.username, 'guest', 'keys the overlay does not name stay');
    assert.equal(load(dir, { env: { DOTNET_ENVIRONMENT: 'Staging', ASPNETCORE_ENVIRONMENT: 'Production' } }).worker.rabbitMq.host, 'rabbit.staging');
    assert.equal(load(dir, { env: { ASPNETCORE_ENVIRONMENT: 'Production' } }).worker.rabbitMq.host, 'rabbit.prod');
    assert.equal(load(dir, { env: { MILVAION_ENVIRONMENT: 'Staging' } }).worker.rabbitMq.host, 'rabbit.staging');
    assert.equal(load(dir, { environment: 'Development' }).worker.rabbitMq.host, 'localhost', 'a missing overlay is fine');
  });

  it('applies Worker__… and JobConsumers__… environment variables over the files, coercing strings', () => {
    const dir = tempDir({ 'appsettings.json': DOTNET_SAMPLE, 'appsettings.Production.json': '{"Worker":{"RabbitMQ":{"Port":5674}}}' });
    const config = load(dir, {
      environment: 'Production',
      env: {
        Worker__RabbitMQ__Port: '5673',
        JOBCONSUMERS__SendEmailJob__MaxRetries: '7',
        worker__heartbeat__enabled: 'False',
        Worker__OfflineResilience__CoalesceStatuses: 'true',
        Worker__Redis__ConnectionString: 'redis.internal:6380',
        Logging__LogLevel__Default: 'Debug',
        WORKER: 'unrelated',
        PATH: '/usr/bin',
      },
    });
    assert.equal(config.worker.rabbitMq.port, 5673);
    assert.equal(config.jobConsumers['SendEmailJob']?.maxRetries, 7);
    assert.equal(config.jobConsumers['SendEmailJob']?.consumerId, 'email-consumer', 'the job name matches case-insensitively and keeps the file spelling');
    assert.deepEqual(Object.keys(config.jobConsumers), ['SendEmailJob']);
    assert.equal(config.worker.heartbeat.enabled, false);
    assert.equal(config.worker.offlineResilience.coalesceStatuses, true);
    assert.equal(config.worker.redis?.connectionString, 'redis.internal:6380');
  });

  it('reads the outbox byte limit and its disk thresholds (MaxPendingBytes, DiskSpaceReserveBytes, DiskSpaceWarningBytes), and refuses a bad one', () => {
    const config = load(tempDir({ 'appsettings.json': JSON.stringify({ Worker: { OfflineResilience: { MaxPendingBytes: 536_870_912, DiskSpaceReserveBytes: 0 } } }) }), { env: { Worker__OfflineResilience__DiskSpaceWarningBytes: '1073741824' } });
    const { maxPendingBytes, diskSpaceReserveBytes, diskSpaceWarningBytes } = config.worker.offlineResilience;
    assert.deepEqual([maxPendingBytes, diskSpaceReserveBytes, diskSpaceWarningBytes], [536_870_912, 0, 1_073_741_824]);
    const bad = loadConfig({ cwd: tempDir({ 'appsettings.json': JSON.stringify({ Worker: { OfflineResilience: { MaxPendingBytes: 0 } } }) }), env: {} });
    assert.ok(bad.isErr());
    assert.match(bad.error.message, /Worker:OfflineResilience:MaxPendingBytes: .*a whole number ≥ 1/);
  });

  it('reads a job\'s RateLimit from the file and the environment, and names every wrong key of one', () => {
    const config = load(tempDir({ 'appsettings.json': JSON.stringify({ Worker: { Redis: { ConnectionString: '127.0.0.1:6379' } }, JobConsumers: { CallApiJob: { RateLimit: { Count: 10, PeriodSeconds: 1, KeyPath: 'customer.id' } } } }) }), {
      env: { JobConsumers__CallApiJob__RateLimit__Scope: 'shared', JobConsumers__CallApiJob__RateLimit__PeriodSeconds: '0.5' },
    });
    assert.deepEqual(config.jobConsumers['CallApiJob']?.rateLimit, { count: 10, periodSeconds: 0.5, scope: 'shared', key: 'customer.id' });
    const error = loadError(
      tempDir({
        'appsettings.json': JSON.stringify({
          JobConsumers: { A: { RateLimit: { Count: 0, PeriodSeconds: -1, Scope: 'Global', Burst: 3 } }, B: { RateLimit: { Count: 5 } } },
        }),
      }),
    );
    const byPath = new Map(error.problems.map((p) => [p.path, p.message]));
    assert.deepEqual([...byPath.keys()].sort(), ['JobConsumers:A:RateLimit:Burst', 'JobConsumers:A:RateLimit:Count', 'JobConsumers:A:RateLimit:PeriodSeconds', 'JobConsumers:A:RateLimit:Scope', 'JobConsumers:B:RateLimit']);
    assert.match(byPath.get('JobConsumers:A:RateLimit:PeriodSeconds')!, /expected a number above 0, found -1/);
    assert.match(byPath.get('JobConsumers:A:RateLimit:Scope')!, /expected one of Process, Shared, found "Global"/);
    assert.match(byPath.get('JobConsumers:B:RateLimit')!, /needs both Count and PeriodSeconds/);
    // A shared limit or a cap across processes with no Redis to share it through (a rule across two sections,
    // checked once each key is valid).
    const shared = loadError(tempDir({ 'appsettings.json': JSON.stringify({ JobConsumers: { C: { RateLimit: { Count: 5, PeriodSeconds: 1, Scope: 'Shared' } }, D: { MaxParallelJobsGlobal: 2 } } }) }));
    assert.deepEqual(
      shared.problems.map((p) => [p.path, p.message]),
      [
        ['JobConsumers:C:RateLimit:Scope', 'a limit shared by every process of the worker needs Redis: set Worker:Redis:ConnectionString, or use Scope Process'],
        ['JobConsumers:D:MaxParallelJobsGlobal', 'a cap across the processes of the worker needs Redis: set Worker:Redis:ConnectionString'],
      ],
    );
    const capped = load(tempDir({ 'appsettings.json': JSON.stringify({ Worker: { Redis: { ConnectionString: '127.0.0.1' } }, JobConsumers: { D: { MaxParallelJobsGlobal: '3' } } }) }));
    assert.equal(capped.jobConsumers['D']?.maxParallelJobsGlobal, 3);
  });

  it('reads the brokers of a cluster from Hosts (a list) or from a Host with commas, each with its port or Port', () => {
    const fromList = load(tempDir({ 'appsettings.json': JSON.stringify({ Worker: { RabbitMQ: { Hosts: ['rabbit-1', 'rabbit-2:5673', ' rabbit-3 '], Port: 5680 } } }) }));
    assert.deepEqual(fromList.worker.rabbitMq.hosts, ['rabbit-1', 'rabbit-2:5673', 'rabbit-3']);
    assert.equal(fromList.worker.rabbitMq.host, 'rabbit-1');
    assert.deepEqual(toAmqpHosts(fromList.worker.rabbitMq), ['rabbit-1:5680', 'rabbit-2:5673', 'rabbit-3:5680']);
    assert.match(toAmqpUrl(fromList.worker.rabbitMq), /@rabbit-1:5680\//);
    const fromEnv = load(tempDir({}), { env: { Worker__RabbitMQ__Host: '10.0.0.1, 10.0.0.2:5673' } });
    assert.deepEqual(fromEnv.worker.rabbitMq.hosts, ['10.0.0.1', '10.0.0.2:5673']);
    // The key the list came from, for the startup timeout's message.
    assert.deepEqual([fromList.worker.rabbitMq.hostsKey, fromEnv.worker.rabbitMq.hostsKey], ['Hosts', 'Host']);
    const single = load(tempDir({}), { env: { Worker__RabbitMQ__Host: 'rabbit' } });
    assert.deepEqual([single.worker.rabbitMq.host, single.worker.rabbitMq.hosts, single.worker.rabbitMq.hostsKey], ['rabbit', undefined, undefined]);
    assert.equal(toAmqpHosts(single.worker.rabbitMq), undefined);
  });

  it('names a wrong broker entry in Host or Hosts', () => {
    const error = loadError(tempDir({ 'appsettings.json': JSON.stringify({ Worker: { RabbitMQ: { Hosts: ['rabbit-1', 'rabbit 2'], Host: 'a:99999' } } }) }));
    assert.match(error.format(), /Worker:RabbitMQ:Hosts: expected a host name, or host names .*found "rabbit 2"/);
    assert.match(error.format(), /Worker:RabbitMQ:Host: expected a host name, or host names .*found "a:99999"/);
  });

  it('applies in-code overrides last, over files and environment', () => {
    const dir = tempDir({ 'appsettings.json': DOTNET_SAMPLE });
    const config = load(dir, { env: { Worker__WorkerId: 'from-env' }, overrides: { Worker: { WorkerId: 'from-code', RabbitMQ: { port: '5690' } } } });
    assert.equal(config.worker.workerId, 'from-code');
    assert.equal(config.worker.rabbitMq.port, 5690);
  });

  it('reads JSON with // and /* */ comments and trailing commas', () => {
    const dir = tempDir({
      'appsettings.json': `{
        // the worker
        "Worker": {
          "WorkerId": "w-1", /* not "w-2" */
          "RabbitMQ": { "Url": "amqp://u:p@rabbit//vhost", },
        },
      }`,
    });
    const config = load(dir);
    assert.equal(config.worker.workerId, 'w-1');
    assert.equal(config.worker.rabbitMq.url, 'amqp://u:p@rabbit//vhost', 'a // inside a string is not a comment');
  });

  it('reports invalid JSON with the file, line and column', () => {
    const dir = tempDir({ 'appsettings.json': '{\n  "Worker": {\n    "WorkerId": "w"\n    "MaxParallelJobs": 2\n  }\n}\n' });
    const error = loadError(dir);
    assert.equal(error.problems.length, 1);
    assert.equal(error.problems[0]?.source, 'appsettings.json');
    assert.match(error.problems[0]!.message, /line 4, column 5/);
    assert.match(error.format(), /appsettings\.json: invalid JSON at line 4, column 5/);
  });

  it('lists every problem at once, each with its path, what was found and where it came from', () => {
    const dir = tempDir({
      'appsettings.json': JSON.stringify({
        Worker: {
          WorkerId: 'host:1',
          MaxParallelJobs: 0,
          ExecutionTimeoutSeconds: 'soon',
          LogLevel: 'loud',
          RabbitMQ: { Hots: 'rabbit', Port: 70000, QueueType: 'Quorom', Ssl: 'yes' },
          Heartbeat: { IntervalSeconds: -5 },
          Redis: { Database: 'zero' },
          OfflineResilence: { Enabled: true },
        },
        JobConsumers: { SendEmailJob: { MaxRetries: -1, MaxRetry: 3 }, Broken: 'x' },
      }),
    });
    const error = loadError(dir, { env: { Worker__HealthCheck__HttpPort: 'eighty' } });
    const byPath = new Map(error.problems.map((p) => [p.path, p]));
    const expected = [
      'Worker:WorkerId',
      'Worker:MaxParallelJobs',
      'Worker:ExecutionTimeoutSeconds',
      'Worker:LogLevel',
      'Worker:RabbitMQ:Hots',
      'Worker:RabbitMQ:Port',
      'Worker:RabbitMQ:QueueType',
      'Worker:RabbitMQ:Ssl',
      'Worker:Heartbeat:IntervalSeconds',
      'Worker:Redis:Database',
      'Worker:OfflineResilence',
      'Worker:HealthCheck:HttpPort',
      'JobConsumers:SendEmailJob:MaxRetries',
      'JobConsumers:SendEmailJob:MaxRetry',
      'JobConsumers:Broken',
    ];
    assert.deepEqual([...byPath.keys()].sort(), [...expected].sort());
    assert.equal(error.problems.length, expected.length, 'one problem per wrong key');
    assert.match(byPath.get('Worker:RabbitMQ:Hots')!.message, /unknown key "Hots" \(did you mean "Hosts"\?\); known keys: Host, Hosts, Port,/);
    assert.match(byPath.get('Worker:RabbitMQ:Port')!.message, /expected a whole number from 1 to 65535, found 70000/);
    assert.match(byPath.get('Worker:RabbitMQ:QueueType')!.message, /expected one of Classic, Quorum, found "Quorom"/);
    assert.match(byPath.get('Worker:WorkerId')!.message, /without ":"/);
    assert.match(byPath.get('Worker:ExecutionTimeoutSeconds')!.message, /found "soon"/);
    assert.match(byPath.get('JobConsumers:SendEmailJob:MaxRetry')!.message, /did you mean "MaxRetries"/);
    assert.equal(byPath.get('Worker:RabbitMQ:Port')!.source, 'appsettings.json');
    assert.equal(byPath.get('Worker:HealthCheck:HttpPort')!.source, 'env Worker__HealthCheck__HttpPort');
    const text = error.format();
    assert.match(text, /^Invalid worker configuration \(15 problems\):/);
    assert.match(text, /\n {2}- Worker:RabbitMQ:Port: expected a whole number from 1 to 65535, found 70000 \(from appsettings\.json\)/);
  });

  it('reports a problem in the casing-normalised PascalCase path', () => {
    const error = loadError(tempDir({ 'appsettings.json': '{"worker":{"rabbitmq":{"port":"x"}}}' }));
    assert.deepEqual(error.problems.map((p) => p.path), ['Worker:RabbitMQ:Port']);
  });

  it('rejects a config file that was named explicitly but does not exist', () => {
    const dir = tempDir();
    const named = loadError(dir, { configPath: 'missing.json' });
    assert.deepEqual(named.problems, [{ path: '', message: 'file not found', source: 'missing.json' }]);
    const fromEnv = loadError(dir, { env: { MILVAION_CONFIG: path.join(dir, 'nope.json') } });
    assert.match(fromEnv.format(), /nope\.json: file not found/);
  });

  it('reads the file MILVAION_CONFIG names, and its overlay next to it', () => {
    const dir = tempDir({ 'worker.json': '{"Worker":{"WorkerId":"from-env-file"}}', 'worker.Production.json': '{"Worker":{"MaxParallelJobs":3}}' });
    const config = load(tempDir(), { env: { MILVAION_CONFIG: path.join(dir, 'worker.json'), DOTNET_ENVIRONMENT: 'Production' } });
    assert.equal(config.worker.workerId, 'from-env-file');
    assert.equal(config.worker.maxParallelJobs, 3);
  });

  it('treats a Redis section with an empty ConnectionString as no Redis, and an empty section as the default', () => {
    assert.equal(load(tempDir({ 'appsettings.json': '{"Worker":{"Redis":{"ConnectionString":""}}}' })).worker.redis, undefined);
    assert.equal(load(tempDir({ 'appsettings.json': '{"Worker":{"Redis":{}}}' })).worker.redis?.connectionString, 'localhost:6379');
  });

  it('redactConfig hides every password form', () => {
    const dir = tempDir({
      'appsettings.json': JSON.stringify({
        Worker: {
          RabbitMQ: { Password: 'rabbit-part-secret', Url: 'amqps://app:rabbit-url-secret@rabbit.example:5671/prod' },
          Redis: { ConnectionString: 'redis.example:6380,password=redis-cs-secret,ssl=true', Password: 'redis-pw-secret' },
        },
      }),
    });
    const config = load(dir);
    const printed = JSON.stringify(redactConfig(config));
    for (const secret of ['rabbit-part-secret', 'rabbit-url-secret', 'redis-cs-secret', 'redis-pw-secret']) assert.ok(!printed.includes(secret), `${secret} leaked`);
    assert.match(printed, /amqps:\/\/app:\*\*\*@rabbit\.example:5671\/prod/);
    assert.match(printed, /redis\.example:6380,password=\*\*\*,ssl=true/);
    const url = load(dir, { env: { Worker__Redis__ConnectionString: 'redis://default:redis-url-secret@redis.example:6379/2' } });
    assert.ok(!JSON.stringify(redactConfig(url)).includes('redis-url-secret'));
    assert.equal(config.worker.rabbitMq.password, 'rabbit-part-secret', 'the original is not changed');
  });
});
