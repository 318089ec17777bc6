// `milvaion-worker run` fails fast at start, with one error line naming the setting to check: a wrong password,
// a missing vhost or no permission on it (at once), an unreachable broker or Redis (after
// Worker:StartupConnectionTimeoutSeconds). Before: the CLI retried forever, logging "undefined: ACCESS_REFUSED".
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createVhost, deleteVhost } from '../../support/amqp-harness.ts';
import { writeJobModule } from '../../support/cli-fixtures.ts';
import { freePort } from '../../support/free-port.ts';
import { needs } from '../../support/services.ts';
import { startCli } from '../../support/start-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cli-startup-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const JOBS = writeJobModule(dir, 'jobs.ts', "export const echo = defineJob({ name: 'EchoJob', run: async () => 'ok' });\n");
const SECRET = 'not-the-password-Xq7';

/** Lines that say the worker runs: none may follow a failed start. */
const CLAIMS_TO_RUN = /the worker runs|jobs keep running|consuming/;

/** Runs the CLI with this Worker section until it exits; returns its code, output and how long it took. */
async function runUntilExit(name: string, worker: Record<string, unknown>) {
  const config = path.join(dir, `${name}.json`);
  const settings = { WorkerId: `startup-${name}`, LogFormat: 'text', ShutdownTimeoutSeconds: 2, OfflineResilience: { LocalStoragePath: path.join(dir, `outbox-${name}`) }, ...worker };
  writeFileSync(config, JSON.stringify({ Worker: settings }));
  const started = Date.now();
  const cli = startCli(config, JOBS, dir);
  // A worker that starts when it should have failed is killed, so the test fails instead of hanging.
  const startupSeconds = typeof worker['StartupConnectionTimeoutSeconds'] === 'number' ? worker['StartupConnectionTimeoutSeconds'] : 0;
  const kill = setTimeout(() => cli.child.kill('SIGKILL'), Math.max(15_000, (startupSeconds + 10) * 1000));
  const code = await cli.exited;
  clearTimeout(kill);
  const output = cli.output();
  return { code, output, ms: Date.now() - started, errors: output.split('\n').filter((l) => /\bERROR\b/.test(l)) };
}

/** Starts the CLI with this Worker section (and these other sections) and resolves once it consumes. */
async function runUntilStarted(name: string, worker: Record<string, unknown>, other: Record<string, unknown> = {}) {
  const config = path.join(dir, `${name}.json`);
  writeFileSync(config, JSON.stringify({ Worker: { WorkerId: `startup-${name}`, LogFormat: 'text', ShutdownTimeoutSeconds: 2, OfflineResilience: { LocalStoragePath: path.join(dir, `outbox-${name}`) }, ...worker }, ...other }));
  const cli = startCli(config, JOBS, dir);
  const deadline = Date.now() + 20_000;
  while (!/Worker \S+ consuming/.test(cli.output())) {
    if (Date.now() > deadline || cli.child.exitCode !== null) assert.fail(`the worker did not start consuming:\n${cli.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return cli;
}

describe('CLI start against a broker that refuses us', { timeout: 60_000, ...needs('rabbitmq') }, () => {
  const vhost = `spec-startup-${process.pid}`;
  const user = `spec-noperm-${process.pid}`;
  const consumerOnly = `spec-consumeronly-${process.pid}`;
  before(() => {
    createVhost(vhost);
    // A user who may open the vhost but not declare anything in it.
    execFileSync('rabbitmqctl', ['add_user', user, SECRET], { stdio: 'ignore' });
    execFileSync('rabbitmqctl', ['set_permissions', '-p', vhost, user, '^$', '^$', '^$'], { stdio: 'ignore' });
    // A user who may declare and consume its job queue, but not declare the status queue the worker reports to.
    execFileSync('rabbitmqctl', ['add_user', consumerOnly, SECRET], { stdio: 'ignore' });
    execFileSync('rabbitmqctl', ['set_permissions', '-p', vhost, consumerOnly, '^(scheduled_jobs|jobs\\.topic|dlx_|worker_|failed_).*', '.*', '.*'], { stdio: 'ignore' });
  });
  after(() => {
    execFileSync('rabbitmqctl', ['delete_user', consumerOnly], { stdio: 'ignore' });
    execFileSync('rabbitmqctl', ['delete_user', user], { stdio: 'ignore' });
    deleteVhost(vhost);
  });

  it('a wrong password exits 1 within 5 s with one error line naming Username and Password, and no password or "undefined:"', async () => {
    const run = await runUntilExit('password', { RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost, Password: SECRET } });
    assert.equal(run.code, 1, run.output);
    assert.ok(run.ms < 5000, `took ${run.ms} ms`);
    assert.equal(run.errors.length, 1, run.output);
    assert.match(run.errors[0]!, /refused the login of user "guest".*ACCESS_REFUSED.*check Worker:RabbitMQ:Username and Worker:RabbitMQ:Password/);
    assert.doesNotMatch(run.output, /undefined:/);
    assert.ok(!run.output.includes(SECRET), 'the password is never printed');
  });

  it('a wrong password with Redis away too: the error is the last word, and no line says the worker runs', async () => {
    const port = await freePort();
    const run = await runUntilExit('password-noredis', { RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost, Password: SECRET }, Redis: { ConnectionString: `127.0.0.1:${port}` } });
    assert.equal(run.code, 1, run.output);
    assert.equal(run.errors.length, 1, run.output);
    assert.match(run.errors[0]!, /refused the login of user "guest"/);
    assert.doesNotMatch(run.output, CLAIMS_TO_RUN);
  });

  it('a missing vhost exits 1 at once naming Worker:RabbitMQ:VirtualHost', async () => {
    const run = await runUntilExit('vhost', { RabbitMQ: { Host: '127.0.0.1', VirtualHost: `${vhost}-missing` } });
    assert.equal(run.code, 1, run.output);
    assert.ok(run.ms < 5000, `took ${run.ms} ms`);
    assert.equal(run.errors.length, 1, run.output);
    assert.match(run.errors[0]!, new RegExp(`virtual host "${vhost}-missing".*NOT_ALLOWED.*check Worker:RabbitMQ:VirtualHost`));
  });

  it('no permission on the vhost exits 1 at once, naming the user and vhost', async () => {
    const run = await runUntilExit('permission', { RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost, Username: user, Password: SECRET } });
    assert.equal(run.code, 1, run.output);
    assert.ok(run.ms < 5000, `took ${run.ms} ms`);
    assert.equal(run.errors.length, 1, run.output);
    assert.match(run.errors[0]!, new RegExp(`refused user "${user}" on virtual host "${vhost}".*ACCESS_REFUSED.*permissions`));
    assert.ok(!run.output.includes(SECRET));
    assert.doesNotMatch(run.output, /IsStopping|Publish failed/, 'a worker that never registered says no goodbye');
  });

  it('no permission on the status queue exits 1 at once, before any job is taken, naming the queue', async () => {
    // Before: the worker consumed jobs while every status and log waited in its outbox ("Publish failed, retrying").
    const run = await runUntilExit('publishperm', { RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost, Username: consumerOnly, Password: SECRET } });
    assert.equal(run.code, 1, run.output);
    assert.ok(run.ms < 5000, `took ${run.ms} ms`);
    assert.equal(run.errors.length, 1, run.output);
    assert.match(run.errors[0]!, new RegExp(`refused user "${consumerOnly}" on virtual host "${vhost}" \\(QueueDeclare: ACCESS_REFUSED - access to queue 'job_status_updates_queue'.*permissions`));
    assert.doesNotMatch(run.output, /consuming|Publish failed/, 'no job is taken and nothing waits to be published');
    assert.ok(!run.output.includes(SECRET));
  });

  it('a QueueType that differs from the queues on the broker exits 1 at once, naming Worker:RabbitMQ:QueueType', async () => {
    // A first worker declares its queues as classic ones; the second says Quorum for the same queues.
    const classic = await runUntilStarted('classic', { RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost } });
    const run = await runUntilExit('quorum', { WorkerId: 'startup-classic', RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost, QueueType: 'Quorum' } });
    classic.child.kill('SIGTERM');
    await classic.exited;
    assert.equal(run.code, 1, run.output);
    assert.ok(run.ms < 5000, `took ${run.ms} ms`);
    assert.equal(run.errors.length, 1, run.output);
    assert.match(run.errors[0]!, /has a queue of this worker as another queue type \(.*PRECONDITION_FAILED.*x-queue-type.*\): Worker:RabbitMQ:QueueType must match the scheduler's MilvaionConfig:RabbitMQ:QueueType/);
  });
});

describe('CLI start with nothing to connect to', { timeout: 60_000 }, () => {
  it('no broker: exits 1 after Worker:StartupConnectionTimeoutSeconds, naming host, port and the key', async () => {
    const port = await freePort();
    const run = await runUntilExit('nobroker', { StartupConnectionTimeoutSeconds: 2, RabbitMQ: { Host: '127.0.0.1', Port: port } });
    assert.equal(run.code, 1, run.output);
    assert.ok(run.ms >= 2000 && run.ms < 9000, `took ${run.ms} ms`);
    assert.equal(run.errors.length, 1, run.output);
    assert.match(run.errors[0]!, new RegExp(`RabbitMQ at 127\\.0\\.0\\.1:${port} did not accept a connection within 2 s \\(Worker:StartupConnectionTimeoutSeconds\\): connect ECONNREFUSED.*Worker:RabbitMQ:Host and Worker:RabbitMQ:Port`));
    assert.doesNotMatch(run.output, /aquisition|the worker runs/);
  });

  // rabbitmq-client gives up waiting for a channel after 20 s: past that, the start still names the socket error.
  it('no broker, past the client\'s own 20 s channel wait: the error names ECONNREFUSED and the keys, not the client\'s timeout', async () => {
    const port = await freePort();
    const run = await runUntilExit('nobroker-long', { StartupConnectionTimeoutSeconds: 22, RabbitMQ: { Host: '127.0.0.1', Port: port } });
    assert.equal(run.code, 1, run.output);
    assert.equal(run.errors.length, 1, run.output);
    assert.match(run.errors[0]!, new RegExp(`within 22 s .*: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}; check Worker:RabbitMQ:Host and Worker:RabbitMQ:Port$`));
    assert.doesNotMatch(run.output, /aquisition/);
  });

  // Several brokers name the key the config used: a Host with commas is not told to check Hosts.
  for (const [key, value] of [['Host', '127.0.0.1:5998,127.0.0.1:5999'], ['Hosts', ['127.0.0.1:5998', '127.0.0.1:5999']]] as const) {
    it(`no broker of a list given as ${key}: exits 1 after the timeout, naming every broker and Worker:RabbitMQ:${key}`, async () => {
      const run = await runUntilExit(`nobrokers-${key}`, { StartupConnectionTimeoutSeconds: 1, RabbitMQ: { [key]: value } });
      assert.equal(run.code, 1, run.output);
      assert.ok(run.ms >= 1000 && run.ms < 8000, `took ${run.ms} ms`);
      assert.equal(run.errors.length, 1, run.output);
      assert.match(run.errors[0]!, new RegExp(`RabbitMQ at 127\\.0\\.0\\.1:5998, 127\\.0\\.0\\.1:5999 did not accept a connection within 1 s .*; check Worker:RabbitMQ:${key}$`));
    });
  }
});

describe('CLI start with Redis configured but away', { timeout: 60_000, ...needs('rabbitmq') }, () => {
  const vhost = `spec-startup-redis-${process.pid}`;
  before(() => createVhost(vhost));
  after(() => deleteVhost(vhost));

  it('exits 1 after the startup timeout, naming the Redis host and port', async () => {
    const port = await freePort();
    const run = await runUntilExit('noredis', { StartupConnectionTimeoutSeconds: 2, RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost }, Redis: { ConnectionString: `127.0.0.1:${port}` } });
    assert.equal(run.code, 1, run.output);
    assert.ok(run.ms >= 2000 && run.ms < 9000, `took ${run.ms} ms`);
    assert.equal(run.errors.length, 1, run.output);
    assert.match(run.errors[0]!, new RegExp(`Redis at redis://127\\.0\\.0\\.1:${port}/0 did not connect within 2 s \\(Worker:StartupConnectionTimeoutSeconds\\).*Worker:Redis:ConnectionString`));
    assert.doesNotMatch(run.output, CLAIMS_TO_RUN);
  });
});

describe('CLI start: the consumer_timeout warning', { timeout: 60_000, ...needs('rabbitmq') }, () => {
  const vhost = `spec-startup-ct-${process.pid}`;
  before(() => createVhost(vhost));
  after(() => deleteVhost(vhost));
  const warning = /consumer_timeout/;

  it('is not given on defaults (3600 s job timeout against the broker\'s default 1800 s)', async () => {
    const cli = await runUntilStarted('ct-defaults', { RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost } });
    cli.child.kill('SIGTERM');
    await cli.exited;
    assert.doesNotMatch(cli.output(), warning);
  });

  it('is given once, naming the job, when the user sets a longer ExecutionTimeoutSeconds (and a .NET-only key gets one info line)', async () => {
    const cli = await runUntilStarted('ct-set', { RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost } }, { JobConsumers: { EchoJob: { ExecutionTimeoutSeconds: 2400, MaxParallelJobsPerWorker: 8 } } });
    cli.child.kill('SIGTERM');
    await cli.exited;
    const lines = cli.output().split('\n').filter((l) => warning.test(l));
    assert.equal(lines.length, 1, cli.output());
    assert.match(lines[0]!, /WARN .*EchoJob \(2400 s timeout\).*consumer_timeout \(1800 s\)/);
    const notes = cli.output().split('\n').filter((l) => l.includes('MaxParallelJobsPerWorker'));
    assert.equal(notes.length, 1, cli.output());
    assert.match(notes[0]!, /INFO .*JobConsumers:EchoJob:MaxParallelJobsPerWorker is ignored/);
  });

  it('is given when the user says the broker\'s consumer_timeout is shorter than a timeout they set in defineJob()', async () => {
    const jobs = writeJobModule(dir, 'long-jobs.ts', "export const slow = defineJob({ name: 'SlowJob', executionTimeoutSeconds: 900, run: async () => 'ok' });\n");
    const config = path.join(dir, 'ct-define.json');
    writeFileSync(config, JSON.stringify({ Worker: { WorkerId: 'startup-ct-define', LogFormat: 'text', ShutdownTimeoutSeconds: 2, OfflineResilience: { LocalStoragePath: path.join(dir, 'outbox-ct-define') }, RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost, ConsumerTimeoutSeconds: 600 } } }));
    const cli = startCli(config, jobs, dir);
    const deadline = Date.now() + 20_000;
    while (!/Worker \S+ consuming/.test(cli.output()) && Date.now() < deadline && cli.child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50));
    cli.child.kill('SIGTERM');
    await cli.exited;
    assert.match(cli.output(), /WARN .*SlowJob \(900 s timeout\).*consumer_timeout \(600 s\)/);
  });
});
