// `milvaion-worker run` with its outbox on a full 3 MB filesystem (a tmpfs this spec mounts, filled by the outbox to
// its reserve and by a ballast file to the last block) and RabbitMQ refusing
// its statuses and logs: it starts (before: it exited 1 at every start, "Commit failed" / Input/output error),
// stops taking jobs, and a SIGTERM still ends it within Worker:ShutdownTimeoutSeconds + 5 s, keeping the backlog.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createOutbox } from '../../../lib/outbox/create-outbox.ts';
import { OutboxCommitError } from '../../../lib/outbox/outbox-commit-error.ts';
import { useSchedulerVhost, writeJobModule } from '../../support/cli-fixtures.ts';
import { fakeMessageChannel } from '../../support/fake-message-channel.ts';
import { silentLogger } from '../../support/loggers.ts';
import { logRecord, newOccurrence, statusRecord } from '../../support/records.ts';
import { needs } from '../../support/services.ts';
import { startCli } from '../../support/start-cli.ts';
import { wireOf } from '../../support/to-wire.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cli-disk-full-'));
const disk = path.join(dir, 'disk');
mkdirSync(disk);
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', disk]);
after(() => {
  execFileSync('umount', ['-l', disk]);
  rmSync(dir, { recursive: true, force: true });
});
const JOBS = writeJobModule(dir, 'jobs.ts', `export const echo = defineJob({ name: 'EchoJob', run: async () => 'ok' });\n`);
const RESERVE = 512 * 1024;

/** Fills the outbox folder with entries of an earlier run until the outbox refuses one for want of room. */
async function fillOutbox(folder: string): Promise<number> {
  const outbox = createOutbox({ settings: { localStoragePath: folder, diskSpaceReserveBytes: RESERVE }, channel: fakeMessageChannel(), toWire: wireOf({ workerId: 'disk-full', instanceId: 'disk-full-0' }), logger: silentLogger });
  const filler = 'x'.repeat(4000);
  try {
    for (;;) {
      const id = newOccurrence();
      await outbox.write(statusRecord(id, 'start'));
      for (let i = 0; i < 5; i++) await outbox.write(logRecord(id, `line ${i} ${filler}`));
    }
  } catch (error) {
    assert.ok(error instanceof OutboxCommitError && error.code === 'NO_ROOM', String(error));
  }
  return (await outbox.close({ drainMs: 0 })).kept;
}

describe('CLI with its outbox disk full', { timeout: 120_000, ...needs('rabbitmq') }, () => {
  const env = useSchedulerVhost('spec-cli-disk-full');

  it('starts, takes no jobs, and a SIGTERM exits 1 within the grace period + 5 s, keeping the backlog', async (t) => {
    const folder = path.join(disk, 'outbox');
    const kept = await fillOutbox(folder);
    assert.ok(kept > 0);
    // The outbox stopped at its reserve; another process takes the rest of the disk.
    const { bavail, bsize } = statfsSync(disk);
    execFileSync('fallocate', ['-l', String(bavail * bsize), path.join(disk, 'ballast')]);
    assert.equal(statfsSync(disk).bavail, 0);
    // RabbitMQ refuses the reports, so the relay cannot free the disk while the spec looks.
    execFileSync('rabbitmqctl', ['-q', 'set_policy', '-p', env.vhost, '--apply-to', 'queues', 'spec-block-reports', '^(job_status_updates_queue|worker_logs_queue)$', '{"max-length":0,"overflow":"reject-publish"}']);
    const config = path.join(dir, 'appsettings.json');
    writeFileSync(config, JSON.stringify({ Worker: { WorkerId: 'cli-disk-full', LogFormat: 'text', ShutdownTimeoutSeconds: 2, RabbitMQ: { Host: '127.0.0.1', VirtualHost: env.vhost }, OfflineResilience: { LocalStoragePath: folder, SyncIntervalSeconds: 1, DiskSpaceReserveBytes: RESERVE } } }));
    const cli = startCli(config, JOBS, dir);
    t.after(() => cli.child.kill('SIGKILL'));
    let exitedEarly: number | null | undefined;
    void cli.exited.then((code) => (exitedEarly ??= code));
    const deadline = Date.now() + 30_000;
    while (!(/consuming/.test(cli.output()) && /Not taking new jobs: the outbox is full/.test(cli.output()))) {
      assert.equal(exitedEarly, undefined, `exited before the signal:\n${cli.output()}`);
      assert.ok(Date.now() < deadline, `no pause within 30 s:\n${cli.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Stays up with the disk full: a few seconds of relay rounds, pressure checks and probes later, still running.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(exitedEarly, undefined, cli.output());
    const output = cli.output();
    assert.match(output, /Outbox disk full: .* left for .*\/disk\/outbox/);
    assert.doesNotMatch(output, /Commit failed|Input\/output error|Unhandled|uncaught/i);
    const t0 = Date.now();
    cli.child.kill('SIGTERM');
    const code = await cli.exited;
    const ms = Date.now() - t0;
    assert.equal(code, 1, cli.output());
    assert.ok(ms < 2000 + 5000, `took ${ms} ms`);
    assert.match(cli.output(), /Stopped; left behind: \d+ outbox entries kept in .*\/disk\/outbox for the next start/);
  });
});
