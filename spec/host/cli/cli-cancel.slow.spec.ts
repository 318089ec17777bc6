// `milvaion-worker cancel <occurrenceId> [--reason]`: publishes the cancellation on the Redis of the configuration as
// Milvaion's scheduler does, says how many subscribers received it, and a real worker (real broker and Redis, a vhost
// and a channel of the spec's own) ends the long-running occurrence Cancelled.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAmqpWorker, type AmqpWorker } from '../../../lib/amqp.ts';
import { JobStatus } from '../../../lib/index.ts';
import { createSchedulerClient, newOccurrenceId, type SchedulerClient } from '../../../lib/scheduler-client/index.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../../support/amqp-harness.ts';
import { captureLogger } from '../../support/loggers.ts';
import { longRunningJob } from '../../support/long-running-job.ts';
import { needs } from '../../support/services.ts';
import { ENV_WITHOUT_CONFIG, runCli } from '../../support/start-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cli-cancel-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const CHANNEL = `spec:cli-cancel:${process.pid}:cancellation_channel`;

/** Writes an appsettings.json with this Worker:Redis section (none when undefined); returns its path. */
function writeConfig(name: string, redis: Record<string, unknown> | undefined): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ Worker: { WorkerId: 'cli-cancel', ...(redis === undefined ? {} : { Redis: redis }) } }));
  return file;
}


describe('cancel: arguments and configuration, before anything is published', () => {
  it('refuses an occurrence id that is not a UUID with exit 2, naming it', async () => {
    const run = await runCli(['cancel', 'job-42', '--config', writeConfig('bad-id.json', { ConnectionString: '127.0.0.1:1' })], dir, ENV_WITHOUT_CONFIG);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /Cannot cancel "job-42": the occurrence id must be a UUID/);
  });

  it('refuses a configuration without Worker:Redis with exit 78, naming the key', async () => {
    const run = await runCli(['cancel', newOccurrenceId(), '--config', writeConfig('no-redis.json', undefined)], dir, ENV_WITHOUT_CONFIG);
    assert.equal(run.code, 78, run.stdout + run.stderr);
    assert.match(run.stderr, /cancel needs Worker:Redis:ConnectionString in the configuration/);
  });

  it('shows its usage without an occurrence id', async () => {
    const run = await runCli(['cancel'], dir, ENV_WITHOUT_CONFIG);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /milvaion-worker cancel <occurrenceId> \[--reason text\]/);
  });

  it('says Redis was unreachable with exit 1, never its password', async () => {
    const run = await runCli(['cancel', newOccurrenceId(), '--config', writeConfig('refused.json', { ConnectionString: '127.0.0.1:1,password=hunter2' })], dir, ENV_WITHOUT_CONFIG);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /Nothing was published: Redis redis:\/\/127\.0\.0\.1:1\/0 not reachable: .*ECONNREFUSED/);
    assert.doesNotMatch(run.stdout + run.stderr, /hunter2/);
  });
});

describe('cancel against a running worker', { ...needs('rabbitmq', 'redis'), timeout: 60_000 }, () => {
  const vhost = `spec-cli-cancel-${process.pid}`;
  const url = `${AMQP_URL}/${vhost}`;
  const workerId = `cli-cancel-${process.pid}`;
  let scheduler: SchedulerClient;
  let worker: AmqpWorker;
  let config: string;
  before(async () => {
    createVhost(vhost);
    config = writeConfig('appsettings.json', { ConnectionString: '127.0.0.1:6379', CancellationChannel: CHANNEL });
    scheduler = await createSchedulerClient({ url, workerId });
    worker = createAmqpWorker({ workerId, logger: captureLogger(), rabbitmq: { url }, jobs: [longRunningJob], outbox: false, redis: { connectionString: '127.0.0.1:6379', cancellationChannel: CHANNEL } });
    await worker.start();
  });
  after(async () => {
    await worker?.close({ graceMs: 1000 });
    await scheduler?.close();
    deleteVhost(vhost);
  });

  it('publishes the cancel, prints one line with the receivers, and the job ends Cancelled with the reason', async () => {
    const { occurrenceId } = await scheduler.dispatch(longRunningJob);
    await scheduler.waitFor(() => scheduler.statuses(occurrenceId).some((m) => m.body?.Status === JobStatus.Running), { what: 'Running' });
    const run = await runCli(['cancel', occurrenceId.toUpperCase(), '--reason', 'stopped from the CLI', '--config', config], dir, ENV_WITHOUT_CONFIG);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.stdout, `Published the cancellation of occurrence ${occurrenceId} on redis://127.0.0.1:6379/0 channel ${CHANNEL}: 1 subscriber received it\n`);
    const final = await scheduler.waitForFinalStatus(occurrenceId);
    assert.equal(final.body?.Status, JobStatus.Cancelled);
    assert.ok(scheduler.logs(occurrenceId).some((m) => JSON.stringify(m.body?.Log).includes('stopped from the CLI')), 'a log names the reason');
  });

  it('says so when no subscriber received it', async () => {
    const other = writeConfig('other-channel.json', { ConnectionString: '127.0.0.1:6379', CancellationChannel: `${CHANNEL}:nobody` });
    const run = await runCli(['cancel', newOccurrenceId(), '--config', other], dir, ENV_WITHOUT_CONFIG);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /: no subscriber received it \(no worker listens on this Redis and channel\)\n$/);
  });
});
