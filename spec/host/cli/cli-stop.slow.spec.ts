// `milvaion-worker run` stops within Worker:ShutdownTimeoutSeconds + 5 s in every state, exits 0 after a clean
// stop and 1 with a line saying what was left, and exits at once on a second signal. Before: with the broker
// down a SIGTERM took 60 s and the process exited 13 (a top-level await that never settled).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createOutbox } from '../../../lib/outbox/create-outbox.ts';
import { useSchedulerVhost, writeJobModule } from '../../support/cli-fixtures.ts';
import { fakeMessageChannel } from '../../support/fake-message-channel.ts';
import { freePort } from '../../support/free-port.ts';
import { silentLogger } from '../../support/loggers.ts';
import { logRecord, newOccurrence, statusRecord } from '../../support/records.ts';
import { needs } from '../../support/services.ts';
import { startCli } from '../../support/start-cli.ts';
import { wireOf } from '../../support/to-wire.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cli-stop-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// EchoJob returns at once; StubbornJob ignores its abort signal and runs for 30 s.
const JOBS = writeJobModule(
  dir,
  'jobs.ts',
  `export const echo = defineJob({ name: 'EchoJob', run: async () => 'ok' });
export const stubborn = defineJob({ name: 'StubbornJob', run: () => new Promise((resolve) => setTimeout(() => resolve('late'), 30_000)) });
`,
);

function writeConfig(name: string, worker: Record<string, unknown>): string {
  const config = path.join(dir, `${name}.json`);
  writeFileSync(config, JSON.stringify({ Worker: { WorkerId: `stop-${name}`, LogFormat: 'text', OfflineResilience: { LocalStoragePath: path.join(dir, `outbox-${name}`) }, ...worker } }));
  return config;
}

/** SIGTERM once `ready(output)` holds (or at once); resolves with the exit code, output and ms from the signal. */
async function stopWhen(cli: ReturnType<typeof startCli>, ready: (output: string) => boolean, signals = 1) {
  while (!ready(cli.output())) await new Promise((resolve) => setTimeout(resolve, 50));
  const t0 = Date.now();
  cli.child.kill('SIGTERM');
  for (let i = 1; i < signals; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    cli.child.kill('SIGTERM');
  }
  const code = await cli.exited;
  return { code, output: cli.output(), ms: Date.now() - t0 };
}

const toWire = wireOf({ workerId: 'stop-backlog', instanceId: 'stop-backlog-0' });

describe('CLI stop with the broker away', { timeout: 60_000 }, () => {
  it('never connected: SIGTERM exits 0 within the grace period + 5 s (was 60 s and exit 13)', async () => {
    const config = writeConfig('never', { ShutdownTimeoutSeconds: 2, StartupConnectionTimeoutSeconds: 60, RabbitMQ: { Host: '127.0.0.1', Port: await freePort() } });
    const run = await stopWhen(startCli(config, JOBS, dir), (o) => /ECONNREFUSED/.test(o));
    assert.equal(run.code, 0, run.output);
    assert.ok(run.ms < 2000 + 5000, `took ${run.ms} ms`);
    assert.match(run.output, /Stopped cleanly/);
  });

  it('an outbox backlog: SIGTERM exits 1 within the grace period + 5 s and says how many entries are kept', async () => {
    const store = path.join(dir, 'outbox-backlog');
    // 206 occurrences × (Running + a log line) from an earlier run that could not send them.
    const seeded = createOutbox({ settings: { localStoragePath: store }, channel: fakeMessageChannel(), toWire, logger: silentLogger });
    for (let i = 0; i < 206; i++) {
      const id = newOccurrence();
      await seeded.write(statusRecord(id, 'start'));
      await seeded.write(logRecord(id, `line ${i}`));
    }
    assert.deepEqual(await seeded.close({ drainMs: 0 }), { kept: 412 });
    const config = writeConfig('backlog', { ShutdownTimeoutSeconds: 2, RabbitMQ: { Host: '127.0.0.1', Port: await freePort() } });
    const run = await stopWhen(startCli(config, JOBS, dir), (o) => /ECONNREFUSED/.test(o));
    assert.equal(run.code, 1, run.output);
    assert.ok(run.ms < 2000 + 5000, `took ${run.ms} ms`);
    assert.match(run.output, /412 entries from an earlier run will be sent/);
    assert.match(run.output, new RegExp(`Stopped; left behind: 412 outbox entries kept in ${store.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} for the next start`));
  });
});

describe('CLI stop with a job that ignores its abort signal', { timeout: 60_000, ...needs('rabbitmq') }, () => {
  const env = useSchedulerVhost('spec-stop');

  async function startStubborn(name: string, shutdownTimeoutSeconds: number) {
    const config = writeConfig(name, { ShutdownTimeoutSeconds: shutdownTimeoutSeconds, RabbitMQ: { Host: '127.0.0.1', VirtualHost: env.vhost } });
    const cli = startCli(config, JOBS, dir);
    const scheduler = env.scheduler();
    await scheduler.waitUntil(() => scheduler.registrations(`stop-${name}`).length > 0, { what: 'the worker to register', timeoutMs: 30_000 });
    const { occurrenceId } = await scheduler.dispatch({ jobName: 'StubbornJob', workerId: `stop-${name}` });
    await scheduler.waitUntil(() => scheduler.statuses(occurrenceId).length > 0, { what: 'the job to start' });
    return cli;
  }

  it('SIGTERM exits 1 within the grace period + 5 s, saying the job was aborted and still ran', async () => {
    const run = await stopWhen(await startStubborn('stubborn', 2), () => true);
    assert.equal(run.code, 1, run.output);
    assert.ok(run.ms < 2000 + 5000, `took ${run.ms} ms`);
    assert.match(run.output, /left behind: 1 running job\(s\) aborted at the end of the 2 s grace period; their messages go back to the queue; job functions that ignored their abort signal were still running/);
  });

  it('a second SIGTERM exits 1 at once, long before the grace period ends', async () => {
    const run = await stopWhen(await startStubborn('twice', 30), () => true, 2);
    assert.equal(run.code, 1, run.output);
    assert.ok(run.ms < 4000, `took ${run.ms} ms`);
    assert.match(run.output, /SIGTERM again: exiting now/);
  });
});
