// createDiskGuard(): no write below the reserve, a stop on a failed commit with tries at a growing backoff (none
// while the disk is below its reserve), resumption once a try commits or the disk has twice the reserve, and a
// warning before the disk is full. Fake measurements and probe, mocked timers.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createDiskGuard } from '../../lib/outbox/create-disk-guard.ts';
import { OutboxCommitError } from '../../lib/outbox/outbox-commit-error.ts';
import type { DiskRoom } from '../../lib/outbox/to-disk-room.ts';
import { flush } from '../support/pipeline-harness.ts';
import { captureLogger } from '../support/loggers.ts';

const KB = 1024;

function setup(t: TestContext, options: { maxBackoffMs?: number } = {}) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const disk = { roomBytes: 1000 * KB, reserveBytes: 100 * KB, warningBytes: 300 * KB };
  const probe = { calls: [] as number[], fails: 0 };
  const changes: string[] = [];
  const logger = captureLogger();
  const guard = createDiskGuard({
    folder: '/data/outbox',
    measure: (): DiskRoom => ({ ...disk, totalBytes: 3000 * KB, level: disk.roomBytes < disk.reserveBytes ? 'full' : disk.roomBytes < disk.warningBytes ? 'low' : 'ok' }),
    probe: async () => {
      probe.calls.push(Date.now());
      if (probe.fails-- > 0) throw new OutboxCommitError('still full', 'ENOSPC');
    },
    maxBackoffMs: options.maxBackoffMs ?? 30_000,
    logger,
    onChange: () => changes.push(guard.health().state),
  });
  t.after(() => guard.close());
  return { guard, disk, probe, changes, logger };
}

/** Moves the mocked clock by `ms` and lets the probe's promise settle. */
async function advance(t: TestContext, ms: number): Promise<void> {
  t.mock.timers.tick(ms);
  await flush();
}

describe('createDiskGuard', () => {
  it('admits writes while their footprint leaves the reserve, and stops below it (measured again first)', (t) => {
    const { guard, disk, changes, logger } = setup(t);
    assert.equal(guard.admit(1000), true);
    disk.roomBytes = 104 * KB; // another process filled the disk
    assert.equal(guard.admit(1000), true, 'within what the last measurement left');
    assert.equal(guard.admit(900 * KB), false, 'past what the last measurement left: measured again, 104 KB is below the reserve');
    assert.deepEqual(changes, ['full']);
    assert.match(logger.messages('error')[0]!, /^Outbox disk full: 104 KB left for \/data\/outbox \(of 2.9 MB\), below the reserve of 100 KB \(OfflineResilience:DiskSpaceReserveBytes\)/);
    assert.equal(guard.admit(10), false, 'nothing while full');
    assert.match(guard.health().reason!, /^the outbox's disk is full: 104 KB left for \/data\/outbox/);
  });

  it('takes writes again only once the disk has twice its reserve', (t) => {
    const { guard, disk, changes, logger } = setup(t);
    disk.roomBytes = 50 * KB;
    assert.equal(guard.admit(10), false);
    disk.roomBytes = 150 * KB; // the relay sent entries and LMDB has spare pages again
    guard.check();
    assert.equal(guard.health().state, 'full');
    disk.roomBytes = 200 * KB;
    guard.check();
    assert.deepEqual(changes, ['full', 'low']);
    assert.equal(guard.admit(10), true);
    assert.match(logger.messages('info').at(-1)!, /^Outbox can write to \/data\/outbox again \(200 KB left/);
  });

  it('warns once when the disk is nearly full, before it is full, and says when it has room again', (t) => {
    const { guard, disk, changes, logger } = setup(t);
    guard.check();
    disk.roomBytes = 250 * KB;
    guard.check();
    guard.check();
    assert.equal(logger.messages('warn').length, 1);
    assert.match(logger.messages('warn')[0]!, /^Outbox disk nearly full: 250 KB left for \/data\/outbox .*below 100 KB \(OfflineResilience:DiskSpaceReserveBytes\) the worker stops taking jobs/);
    assert.equal(guard.health().state, 'low');
    assert.equal(guard.admit(10), true, 'a nearly full disk still takes writes');
    assert.deepEqual(changes, [], 'no pause for a warning');
    disk.roomBytes = 900 * KB;
    guard.check();
    assert.equal(guard.health().state, 'ok');
  });

  it('stops on a failed commit and tries again at 1, 2, 4, 8 s, then goes on once a try commits', async (t) => {
    const { guard, probe, changes, logger } = setup(t);
    probe.fails = 3;
    const start = Date.now();
    guard.failed(new OutboxCommitError('The outbox cannot write to /data/outbox: Input/output error (EIO)', 'EIO'));
    guard.failed(new OutboxCommitError('a second write of the same outage', 'EIO'));
    assert.deepEqual(changes, ['failing']);
    assert.equal(logger.messages('error').length, 1, 'one line per outage');
    assert.match(logger.messages('error')[0]!, /^The outbox cannot write to \/data\/outbox: Input\/output error \(EIO\): the worker takes no new jobs, keeps sending what the outbox holds/);
    assert.equal(guard.admit(10), false);
    for (const ms of [1000, 2000, 4000, 8000]) await advance(t, ms);
    assert.deepEqual(probe.calls.map((at) => at - start), [1000, 3000, 7000, 15_000]);
    assert.deepEqual(changes, ['failing', 'ok']);
    assert.equal(guard.admit(10), true);
    await advance(t, 60_000);
    assert.equal(probe.calls.length, 4, 'no more tries once it commits');
  });

  it('caps the backoff at SyncIntervalSeconds', async (t) => {
    const { guard, probe } = setup(t, { maxBackoffMs: 3000 });
    probe.fails = 100;
    guard.failed(new OutboxCommitError('x', 'EIO'));
    for (let i = 0; i < 15; i++) await advance(t, 1000);
    const gaps = probe.calls.slice(1).map((at, i) => at - probe.calls[i]!);
    assert.deepEqual(gaps, [2000, 3000, 3000, 3000, 3000]);
    assert.match(guard.health().reason!, /^x; trying again every 3 s$/);
  });

  it('tries no write while the disk is below its reserve: it waits for room first', async (t) => {
    const { guard, disk, probe, changes } = setup(t);
    disk.roomBytes = 10 * KB;
    guard.failed(new OutboxCommitError('x', 'ENOSPC'));
    for (let i = 0; i < 4; i++) await advance(t, 10_000);
    assert.deepEqual(probe.calls, []);
    disk.roomBytes = 500 * KB;
    await advance(t, 30_000);
    assert.equal(probe.calls.length, 1);
    assert.deepEqual(changes, ['failing', 'ok']);
  });
});
