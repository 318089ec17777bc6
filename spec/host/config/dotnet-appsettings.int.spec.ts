// A .NET team's appsettings.json loads as it is. The fixtures have the shape of upstream Milvaion's own worker
// samples and templates (devoplus/milvaion 032aab0, src/Workers/*/appsettings.json), written here: host sections
// (Logging with Seq, the app's own sections with passwords), every key the .NET SDK binds, and the keys the
// samples carry that no code reads (JobConsumers:<Job>:MaxParallelJobsPerWorker, Worker:ExternalScheduler).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createExternalReporter } from '../../../lib/external/create-external-reporter.ts';
import type { ExternalReporterOptions } from '../../../lib/external/external-types.ts';
import { createWorkerHost, hostNotes } from '../../../lib/host/create-worker-host.ts';
import { silentLogger } from '../../../lib/create-logger.ts';
import { defineJob } from '../../../lib/define-job.ts';
import { loadConfig } from '../../../lib/host/config/load-config.ts';
import { toExternalReporterOptions } from '../../../lib/host/config/to-external-reporter-options.ts';
import type { WorkerConfig } from '../../../lib/host/config/worker-config.ts';
import { UPSTREAM_LOGGING, UPSTREAM_WORKER } from '../../support/upstream-worker-settings.ts';


/** One JobConsumers entry as the samples write it. */
function consumer(consumerId: string, perWorker: number | null | undefined): Record<string, unknown> {
  return {
    ConsumerId: consumerId,
    MaxParallelJobs: 32,
    ...(perWorker === undefined ? {} : { MaxParallelJobsPerWorker: perWorker }),
    ExecutionTimeoutSeconds: 120,
    MaxRetries: 3,
    BaseRetryDelaySeconds: 10,
    LogUserFriendlyLogsViaLogger: true,
  };
}

/** The EmailWorker's shape: Logging with Seq, the app's EmailConfig (passwords in it), one job with MaxParallelJobsPerWorker. */
const EMAIL_WORKER = {
  Logging: UPSTREAM_LOGGING,
  EmailConfig: { DefaultConfigName: 'Default', SmtpConfigs: { Default: { Host: 'smtp.example.com', Port: 587, Password: 'app-password', UseSsl: true } } },
  Worker: UPSTREAM_WORKER,
  JobConsumers: { SendEmailJob: consumer('email-consumer', 128) },
};

function load(settings: unknown, env: Record<string, string> = {}): WorkerConfig {
  const result = loadConfig({ env, cwd: '/nonexistent', overrides: settings });
  if (result.isErr()) assert.fail(result.error.format());
  return result.value;
}

function problems(settings: unknown): string[] {
  const result = loadConfig({ env: {}, cwd: '/nonexistent', overrides: settings });
  assert.ok(result.isErr(), 'expected the configuration to be refused');
  return result.error.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('a .NET appsettings.json as upstream writes it', () => {
  it('loads the EmailWorker shape, with one note naming JobConsumers:SendEmailJob:MaxParallelJobsPerWorker', () => {
    const config = load(EMAIL_WORKER);
    assert.equal(config.worker.workerId, 'email-worker-01');
    assert.deepEqual(config.jobConsumers['SendEmailJob'], { consumerId: 'email-consumer', maxParallelJobs: 32, executionTimeoutSeconds: 120, maxRetries: 3, baseRetryDelaySeconds: 10, logUserFriendlyLogsViaLogger: true });
    assert.deepEqual(config.notes, [
      "JobConsumers:SendEmailJob:MaxParallelJobsPerWorker is ignored: upstream's sample files carry it, but neither the .NET SDK nor the scheduler reads it; the scheduler caps each job type by its MaxParallelJobs",
    ]);
    assert.equal(config.worker.externalScheduler, undefined);
  });

  it('says it once for many jobs (the MaintenanceWorker and ReporterWorker shape), naming each', () => {
    const jobs = ['DatabaseMaintenanceJob', 'OccurrenceRetentionJob', 'RedisCleanupJob'];
    const config = load({ ...EMAIL_WORKER, JobConsumers: Object.fromEntries(jobs.map((job) => [job, consumer(job, 1)])) });
    assert.equal(config.notes?.length, 1);
    assert.match(config.notes![0]!, /^JobConsumers:<Job>:MaxParallelJobsPerWorker \(set for DatabaseMaintenanceJob, OccurrenceRetentionJob, RedisCleanupJob\) is ignored/);
  });

  it('says nothing for the templates\' "MaxParallelJobsPerWorker": null, nor for AllowedHosts (the ApiWorker template)', () => {
    const config = load({ ...EMAIL_WORKER, AllowedHosts: '*', JobConsumers: { SimpleJob: consumer('simple-consumer', null), SendEmailJob: consumer('email-consumer', undefined) } });
    assert.equal(config.notes, undefined);
    assert.deepEqual(Object.keys(config.jobConsumers), ['SimpleJob', 'SendEmailJob']);
  });

  it('leaves the host application\'s sections alone: Logging, Serilog, AllowedHosts, ConnectionStrings and the app\'s own', () => {
    const config = load({
      ...EMAIL_WORKER,
      Serilog: { MinimumLevel: 'Debug', WriteTo: [{ Name: 'Console' }] },
      ConnectionStrings: { Default: 'Host=postgres;Password=secret' },
      MongoDB: { ConnectionString: '', SettingsDbName: 'Suvari' },
      SqlConnections: { Portal: '' },
      Reporter: { ReportGeneration: { TopNLimit: 10 } },
    });
    assert.equal(config.worker.workerId, 'email-worker-01');
    assert.equal(config.notes?.length, 1);
  });

  it('reads Worker:ExternalScheduler:Source (the Hangfire and Quartz samples), from the file or a Worker__ExternalScheduler__Source variable', () => {
    const hangfire = load({ Logging: EMAIL_WORKER.Logging, Worker: { ...UPSTREAM_WORKER, WorkerId: 'hangfire-worker', ExternalScheduler: { Source: 'Hangfire' } } });
    assert.deepEqual(hangfire.worker.externalScheduler, { source: 'Hangfire' });
    assert.equal(hangfire.notes, undefined);
    assert.deepEqual(load({ Worker: UPSTREAM_WORKER }, { Worker__ExternalScheduler__Source: 'Quartz' }).worker.externalScheduler, { source: 'Quartz' });
    // Blank is unset, as in .NET.
    assert.equal(load({ Worker: { ...UPSTREAM_WORKER, ExternalScheduler: { Source: ' ' } } }).worker.externalScheduler, undefined);
  });

  it('makes createExternalReporter()\'s options from it: WorkerId, RabbitMQ, Heartbeat, OfflineResilience and Source', () => {
    const config = load({ Worker: { ...UPSTREAM_WORKER, WorkerId: 'quartz-worker', ExternalScheduler: { Source: 'Quartz' } } });
    const options: ExternalReporterOptions = toExternalReporterOptions(config);
    assert.equal(options.workerId, 'quartz-worker');
    assert.equal(options.source, 'Quartz');
    assert.equal(options.heartbeatIntervalSeconds, 5);
    assert.equal(options.outbox.localStoragePath, './worker_data');
    assert.equal(options.rabbitmq.host, 'rabbitmq');
  });

  it('createExternalReporter() takes those options as they are', async () => {
    const outbox = mkdtempSync(path.join(tmpdir(), 'external-from-config-'));
    try {
      const config = load({ Worker: { ...UPSTREAM_WORKER, WorkerId: 'quartz-worker', ExternalScheduler: { Source: 'Quartz' }, OfflineResilience: { LocalStoragePath: outbox } } });
      const reporter = createExternalReporter(toExternalReporterOptions(config)); // nothing connects before start()
      assert.equal(reporter.source, 'Quartz');
      assert.equal(reporter.workerId, 'quartz-worker');
      await reporter.close({ drainMs: 0 });
    } finally {
      rmSync(outbox, { recursive: true, force: true });
    }
  });

  it('toExternalReporterOptions() takes a source when the file has none, and names the key when neither has one', () => {
    const config = load({ Worker: UPSTREAM_WORKER });
    assert.equal(toExternalReporterOptions(config, { source: 'BullMQ' }).source, 'BullMQ');
    assert.throws(() => toExternalReporterOptions(config), /Worker:ExternalScheduler:Source is not set/);
  });

  it('a host says what it does not read, once each: the notes, and that ExternalScheduler is for an external reporter', () => {
    const config = load({ ...EMAIL_WORKER, Worker: { ...UPSTREAM_WORKER, ExternalScheduler: { Source: 'Hangfire' } } });
    const notes = hostNotes(config);
    assert.equal(notes.length, 2);
    assert.match(notes[0]!, /^JobConsumers:SendEmailJob:MaxParallelJobsPerWorker is ignored/);
    assert.match(notes[1]!, /^Worker:ExternalScheduler:Source "Hangfire" is for an external reporter .*toExternalReporterOptions/);
  });

  it('gives a job without a JobConsumers entry or a defineJob() timeout Worker:ExecutionTimeoutSeconds, as the .NET executor does', async () => {
    const config = load({
      Worker: { ...UPSTREAM_WORKER, ExecutionTimeoutSeconds: 300, RabbitMQ: { Host: '127.0.0.1', Port: 1 }, Redis: undefined, HealthCheck: { Enabled: false }, OfflineResilience: { Enabled: false } },
      JobConsumers: { ConfiguredJob: { ConsumerId: 'configured', ExecutionTimeoutSeconds: 120 }, EntryWithoutTimeoutJob: { ConsumerId: 'entry' } },
    });
    const run = async () => 'ok';
    const jobs = [
      defineJob({ name: 'ConfiguredJob', run }),
      defineJob({ name: 'EntryWithoutTimeoutJob', run }),
      defineJob({ name: 'BareJob', run }),
      defineJob({ name: 'OwnTimeoutJob', executionTimeoutSeconds: 50, run }),
    ];
    const host = createWorkerHost({ config, jobs, logger: silentLogger });
    if (host.isErr()) assert.fail(host.error.join('\n'));
    try {
      const { executor } = host.value.workers[0]!;
      assert.equal(executor.settings('ConfiguredJob').timeoutMs, 120_000);
      assert.equal(executor.settings('EntryWithoutTimeoutJob').timeoutMs, 3_600_000); // .NET's JobConsumerConfig default
      assert.equal(executor.settings('BareJob').timeoutMs, 300_000);
      assert.equal(executor.settings('OwnTimeoutJob').timeoutMs, 50_000);
    } finally {
      await host.value.stop();
    }
  });

  it('accepts Worker:RabbitMQ:RoutingKeyPattern, which the .NET SDK binds, with a note that it means nothing (there either)', () => {
    const config = load({ Worker: { ...UPSTREAM_WORKER, RabbitMQ: { ...UPSTREAM_WORKER.RabbitMQ, RoutingKeyPattern: 'email-worker-01.*' } } });
    assert.deepEqual(config.notes, [
      "Worker:RabbitMQ:RoutingKeyPattern is ignored, as the .NET SDK ignores it too (it replaces it with each job's RoutingPattern): set JobConsumers:<Job>:RoutingPattern instead",
    ]);
  });

  it('keeps a typo of a known key an error, with the did-you-mean', () => {
    const found = problems({
      Worker: { ...UPSTREAM_WORKER, ExternalSchedular: { Source: 'Hangfire' }, RabbitMQ: { ...UPSTREAM_WORKER.RabbitMQ, RoutingKeyPatern: 'x' } },
      JobConsumers: { SendEmailJob: { ...consumer('email-consumer', 4), MaxParallelJobsPerWorkr: 4, MaxParalelJobs: 2 } },
    });
    assert.equal(found.length, 4, found.join('\n'));
    assert.ok(found.some((p) => /^Worker:ExternalSchedular: unknown key "ExternalSchedular" \(did you mean "ExternalScheduler"\?\)/.test(p)), found.join('\n'));
    assert.ok(found.some((p) => /^Worker:RabbitMQ:RoutingKeyPatern: .*did you mean "RoutingKeyPattern"/.test(p)), found.join('\n'));
    assert.ok(found.some((p) => /^JobConsumers:SendEmailJob:MaxParallelJobsPerWorkr: .*did you mean "MaxParallelJobsPerWorker"/.test(p)), found.join('\n'));
    assert.ok(found.some((p) => /^JobConsumers:SendEmailJob:MaxParalelJobs: .*did you mean "MaxParallelJobs"/.test(p)), found.join('\n'));
    assert.match(problems({ Worker: { ExternalScheduler: { Sorce: 'Quartz' } } })[0]!, /^Worker:ExternalScheduler:Sorce: unknown key "Sorce" \(did you mean "Source"\?\)/);
  });
});
