// `milvaion-worker dispatch` is safe to run: it refuses without a target (before: localhost, vhost "/", consuming
// the scheduler's queues with auto-ack), says where it goes before connecting, leaves a broker alone where
// something already consumes the scheduler's queues (exit 2; --force only dispatches), and shows where --data breaks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Connection, type Consumer } from 'rabbitmq-client';
import { AMQP_URL, createVhost, deleteVhost } from '../../support/amqp-harness.ts';
import { needs } from '../../support/services.ts';
import { ENV_WITHOUT_CONFIG, runCli } from '../../support/start-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cli-dispatch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('dispatch without a target or with bad --data', () => {
  it('refuses with exit 2 when no --config, $MILVAION_CONFIG, ./appsettings.json or --url says where', async () => {
    const run = await runCli(['dispatch', 'EchoJob'], dir, ENV_WITHOUT_CONFIG);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /dispatch needs to know which broker: give --config <file>, set \$MILVAION_CONFIG, run it where appsettings\.json is, or give --url/);
    assert.doesNotMatch(run.stdout, /Dispatching/, 'nothing connected');
  });

  it('shows the JSON error of --data with its position, before connecting', async () => {
    const run = await runCli(['dispatch', 'EchoJob', '--url', 'amqp://127.0.0.1:1', '--data', '{"month":2026-11}'], dir, ENV_WITHOUT_CONFIG);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /--data is not valid JSON: .*position 13/);
    assert.ok(run.stderr.includes('  {"month":2026-11}\n               ^'), run.stderr);
  });
});

describe('dispatch where something consumes the scheduler queues', { timeout: 60_000, ...needs('rabbitmq') }, () => {
  const vhost = `spec-dispatch-${process.pid}`;
  const url = `${AMQP_URL}/${vhost}`;
  let rabbit: Connection;
  let fakeScheduler: Consumer;
  const jobQueue = 'spec-dispatch-jobs';
  before(async () => {
    createVhost(vhost);
    rabbit = new Connection(`${AMQP_URL}/${vhost}`);
    rabbit.on('error', () => undefined);
    await rabbit.queueDeclare({ queue: 'job_status_updates_queue', durable: true });
    // A stand-in for a real scheduler: one consumer on the status queue.
    fakeScheduler = rabbit.createConsumer({ queue: 'job_status_updates_queue', queueOptions: { durable: true } }, () => undefined);
    fakeScheduler.on('error', () => undefined);
    await new Promise((resolve) => fakeScheduler.once('ready', resolve));
    // Where the dispatched job lands (no worker runs here).
    await rabbit.exchangeDeclare({ exchange: 'jobs.topic', type: 'topic', durable: true });
    await rabbit.queueDeclare({ queue: jobQueue, exclusive: true });
    await rabbit.queueBind({ queue: jobQueue, exchange: 'jobs.topic', routingKey: 'spec-dispatcher.#' });
  });
  after(async () => {
    await fakeScheduler.close();
    await rabbit.close();
    deleteVhost(vhost);
  });

  it('says where it goes, then exits 2 naming the busy queue; nothing is sent', async () => {
    const run = await runCli(['dispatch', 'EchoJob', '--url', url, '--worker-id', 'spec-dispatcher'], dir, ENV_WITHOUT_CONFIG);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`Dispatching EchoJob to WorkerId "spec-dispatcher" on amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:5672/${vhost} \\(vhost "${vhost}"\\)`));
    assert.match(run.stderr, /Something already consumes the scheduler's queues on this broker \(job_status_updates_queue \(1 consumer\)\).*Nothing was sent/);
    assert.equal((await rabbit.queueDeclare({ queue: jobQueue, passive: true })).messageCount, 0);
    assert.equal((await rabbit.queueDeclare({ queue: 'job_status_updates_queue', passive: true })).consumerCount, 1, 'dispatch did not consume it');
  });

  it('with --force it dispatches without reading anything back, and says so', async () => {
    const run = await runCli(['dispatch', 'EchoJob', '--url', url, '--worker-id', 'spec-dispatcher', '--force'], dir, ENV_WITHOUT_CONFIG);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Dispatched EchoJob to spec-dispatcher\.\S+: occurrence /);
    assert.match(run.stdout, /--force: not reading statuses or logs; the scheduler consuming job_status_updates_queue \(1 consumer\) receives them/);
    assert.equal((await rabbit.queueDeclare({ queue: jobQueue, passive: true })).messageCount, 1);
    assert.equal((await rabbit.queueDeclare({ queue: 'job_status_updates_queue', passive: true })).consumerCount, 1);
  });
});
