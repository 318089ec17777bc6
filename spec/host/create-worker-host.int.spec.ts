// The worker host against the real broker: two logical workers in one process, DI setup, probes, metrics.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { defineJob, defineSetup, JobStatus } from '../../lib/index.ts';
import { asFunction } from 'awilix';
import type { WorkerHost } from '../../lib/host/index.ts';
import type { SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { useWorkerHost } from '../support/host-harness.ts';
import { needs } from '../support/services.ts';

declare module '../../lib/index.ts' {
  interface Services {
    greeter: { greet(name: string): string; disposed: boolean };
  }
}


const greetings: string[] = [];
const disposed: boolean[] = [];
const greetJob = defineJob({ name: 'GreetJob', run: (_d, ctx) => ctx.services.greeter.greet('ada') });
const reportJob = defineJob({ name: 'ReportJob', run: () => ({ rows: 1 }) });
const setup = defineSetup({
  services: (c) =>
    c.register({
      greeter: asFunction(() => ({ disposed: false, greet: (name: string) => (greetings.push(name), `hello ${name}`) }))
        .scoped()
        .disposer((g) => void disposed.push((g.disposed = true))),
    }),
});

describe('createWorkerHost', { timeout: 120_000, ...needs('rabbitmq') }, () => {
  const h = useWorkerHost('spec-host', {
    jobs: [greetJob, reportJob],
    setups: [setup],
    overrides: ({ dir, port }) => ({
      Worker: {
        WorkerId: 'greeter-worker',
        OfflineResilience: { LocalStoragePath: path.join(dir, 'outbox') },
        HealthCheck: { Enabled: true, LiveFilePath: path.join(dir, 'live'), ReadyFilePath: path.join(dir, 'ready'), IntervalSeconds: 1, HttpHost: '127.0.0.1', HttpPort: port },
      },
      JobConsumers: { ReportJob: { WorkerId: 'report-worker', MaxParallelJobs: 0 } },
    }),
  });
  const { dir } = h;
  let scheduler: SchedulerClient;
  let host: WorkerHost;
  let port: number;
  before(() => ({ scheduler, host, port } = h));

  it('runs two logical workers in one process, each registering its own jobs', async () => {
    assert.equal(host.workers.length, 2);
    await scheduler.waitUntil(() => scheduler.registrations('greeter-worker').length > 0 && scheduler.registrations('report-worker').length > 0, { what: 'both registrations' });
    assert.deepEqual(scheduler.registrations('greeter-worker')[0]!.body!.JobTypes, ['GreetJob']);
    assert.deepEqual(scheduler.registrations('report-worker')[0]!.body!.JobTypes, ['ReportJob']);
    const report = await scheduler.dispatch({ jobName: 'ReportJob', workerId: 'report-worker' });
    assert.equal((await scheduler.waitForFinalStatus(report.occurrenceId)).body!.Status, JobStatus.Completed);
  });

  it('gives each execution its own scope of the services registered by defineSetup, disposed after the job', async () => {
    const { occurrenceId } = await scheduler.dispatch({ jobName: 'GreetJob', workerId: 'greeter-worker' });
    const final = await scheduler.waitForFinalStatus(occurrenceId);
    assert.equal(final.body!.Result, 'hello ada');
    assert.deepEqual(greetings, ['ada']);
    await scheduler.waitUntil(() => disposed.length === 1, { what: 'the scope to be disposed' });
  });

  it('answers the HTTP probes and exposes metrics, and writes the probe files', async () => {
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { status: string; checks: { name: string }[] };
    assert.equal(body.status, 'Healthy');
    assert.ok(body.checks.some((c) => c.name.startsWith('RabbitMQ')));
    assert.equal((await fetch(`http://127.0.0.1:${port}/health/live`)).status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /milvaion_worker_jobs_total\{job="GreetJob",outcome="completed"\} 1/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/config`)).status, 404);
    assert.doesNotMatch(await (await fetch(`http://127.0.0.1:${port}/health/ready`)).text(), /guest|password/i);
    await scheduler.waitUntil(() => existsSync(path.join(dir, 'live')) && existsSync(path.join(dir, 'ready')), { what: 'the probe files' });
  });

  it('removes the probe files and closes the probes when it stops', async () => {
    await host.stop();
    assert.equal(existsSync(path.join(dir, 'live')), false);
    assert.equal(existsSync(path.join(dir, 'ready')), false);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
  });
});
