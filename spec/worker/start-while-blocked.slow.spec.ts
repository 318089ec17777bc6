// The silent soak worker (issue 27): a worker started while the broker blocks publishing (a memory alarm) is
// connected, but its registration waits for the alarm to clear. The startup watch used to fail such a start once
// Worker:StartupConnectionTimeoutSeconds had passed, saying the broker "did not accept a connection": `run` exited
// 1, nothing restarted it, and no heartbeat ever came. Connected is what the startup check asks for: the worker now
// waits, and registers and sends heartbeats once the broker unblocks it.
// The memory alarm is broker-wide (other connections' publishes wait too): it is held for a few seconds only and
// always restored.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSchedulerClient, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { writeJobModule } from '../support/cli-fixtures.ts';
import { needs } from '../support/services.ts';
import { startCli } from '../support/start-cli.ts';

const STARTUP_SECONDS = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 100 ms until it holds or `ms` pass; returns whether it held. */
async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await sleep(100);
  return check();
}

describe('a worker started while the broker blocks publishing', { timeout: 180_000, ...needs('rabbitmq') }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'start-blocked-'));
  const vhost = `spec-start-blocked-${process.pid}`;
  const workerId = 'start-blocked';
  let scheduler: SchedulerClient;
  let watermark = '0.4';
  before(async () => {
    createVhost(vhost);
    scheduler = await createSchedulerClient({ url: `${AMQP_URL}/${vhost}` });
    watermark = execFileSync('rabbitmqctl', ['-q', 'eval', 'vm_memory_monitor:get_vm_memory_high_watermark().'], { encoding: 'utf8' }).trim();
    // Another run's alarm in progress reads as 0: restoring to it would leave the broker blocked.
    if (!/^[0-9.]+$/.test(watermark) || Number(watermark) < 0.1) watermark = '0.4';
  });
  after(async () => {
    execFileSync('rabbitmqctl', ['-q', 'set_vm_memory_high_watermark', watermark]);
    await scheduler.close();
    deleteVhost(vhost);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`stays up past Worker:StartupConnectionTimeoutSeconds (${STARTUP_SECONDS} s) while blocked, then registers and sends heartbeats`, async () => {
    const jobs = writeJobModule(dir, 'jobs.ts', "export const echo = defineJob({ name: 'EchoJob', run: async () => 'ok' });\n");
    const config = path.join(dir, 'appsettings.json');
    const Worker = {
      WorkerId: workerId,
      LogFormat: 'text',
      StartupConnectionTimeoutSeconds: STARTUP_SECONDS,
      ShutdownTimeoutSeconds: 1,
      Heartbeat: { IntervalSeconds: 1 },
      RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost },
      OfflineResilience: { LocalStoragePath: path.join(dir, 'outbox') },
    };
    writeFileSync(config, JSON.stringify({ Worker }));
    execFileSync('rabbitmqctl', ['-q', 'set_vm_memory_high_watermark', '0']);
    const cli = startCli(config, jobs, dir);
    try {
      // The registration is the worker's first publish: the broker blocks the publish connection on it, while
      // the startup timeout runs. Held for the timeout and 3 s more.
      const blocked = await eventually(() => /blocked the publish connection/.test(cli.output()) || cli.child.exitCode !== null, 90_000);
      assert.ok(blocked && cli.child.exitCode === null, `the worker was not blocked at start:\n${cli.output()}`);
      await sleep((STARTUP_SECONDS + 3) * 1000);
      const exitedWhileBlocked = cli.child.exitCode;
      execFileSync('rabbitmqctl', ['-q', 'set_vm_memory_high_watermark', watermark]);
      assert.equal(exitedWhileBlocked, null, `the worker exited while the broker blocked it:\n${cli.output()}`);
      const since = Date.now();
      const heard = await eventually(() => scheduler.heartbeats(workerId).some((h) => h.receivedAt > since), 30_000);
      assert.ok(heard, `no heartbeat after the broker unblocked the worker:\n${cli.output()}`);
      assert.equal(scheduler.registrations(workerId).length > 0, true, 'the worker registered');
      assert.match(cli.output(), /connected, but the broker has not taken the worker's registration/i);
      assert.doesNotMatch(cli.output(), /could not start/);
    } finally {
      execFileSync('rabbitmqctl', ['-q', 'set_vm_memory_high_watermark', watermark]);
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  });
});
