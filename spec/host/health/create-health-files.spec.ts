// Specs of createHealthFiles(): in a temp folder, the live and ready files appear and disappear as the
// report changes on each (mocked) interval, are written atomically, are removed on stop, and a write error
// is logged once per streak and never thrown.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createHealthFiles, type HealthFiles } from '../../../lib/host/health/create-health-files.ts';
import type { HealthReport } from '../../../lib/host/health/to-health-report.ts';
import { captureLogger, type CapturingLogger } from '../../support/loggers.ts';

const INTERVAL = 30_000;
const report = (live: boolean, ready: boolean): HealthReport => ({ live, ready, started: true, status: ready ? 'Healthy' : 'Unhealthy', checks: [] });

/** Waits (real time: only setInterval is mocked) until `predicate` holds. */
async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('createHealthFiles()', () => {
  let dir = '';
  let live = '';
  let ready = '';
  let current: HealthReport;
  let logger: CapturingLogger;
  let files: HealthFiles | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'health-files-'));
    live = join(dir, 'live');
    ready = join(dir, 'ready');
    current = report(true, true);
    logger = captureLogger();
  });
  afterEach(async () => {
    await files?.stop();
    files = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const make = (paths: { liveFilePath?: string; readyFilePath?: string } = {}) => {
    files = createHealthFiles({ liveFilePath: live, readyFilePath: ready, intervalMs: INTERVAL, report: () => current, logger, ...paths });
    return files;
  };

  it('writes "ok" to both files at start when live and ready', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const f = make();
    f.start();
    await waitFor(() => existsSync(live) && existsSync(ready), 'both files');
    assert.equal(await readFile(live, 'utf8'), 'ok');
    assert.equal(await readFile(ready, 'utf8'), 'ok');
  });

  it('follows the report on every interval: files disappear when their condition fails and come back', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const f = make();
    f.start();
    await waitFor(() => existsSync(live) && existsSync(ready), 'both files');

    current = report(true, false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(existsSync(ready), 'nothing changes before the interval elapses');
    t.mock.timers.tick(INTERVAL);
    await waitFor(() => !existsSync(ready), 'the ready file to go');
    assert.ok(existsSync(live), 'still live');

    current = report(false, false);
    t.mock.timers.tick(INTERVAL);
    await waitFor(() => !existsSync(live), 'the live file to go');

    current = report(true, true);
    t.mock.timers.tick(INTERVAL);
    await waitFor(() => existsSync(live) && existsSync(ready), 'both files to come back');
  });

  it('removes both files on stop and writes nothing afterwards', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const f = make();
    f.start();
    await f.update();
    assert.ok(existsSync(live) && existsSync(ready));
    await f.stop();
    assert.ok(!existsSync(live) && !existsSync(ready));
    t.mock.timers.tick(INTERVAL * 3);
    await f.update();
    assert.deepEqual(await readdir(dir), [], 'no file, and no temp file left behind');
  });

  it('update() applies the report at once and leaves no temp files', async () => {
    const f = make();
    current = report(true, false);
    await f.update();
    assert.deepEqual(await readdir(dir), ['live']);
    current = report(false, true);
    await f.update();
    assert.deepEqual(await readdir(dir), ['ready']);
  });

  it('logs a write error once per streak, never throws, and says when writing works again', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const missing = join(dir, 'not-yet');
    const f = make({ readyFilePath: join(missing, 'ready') });
    f.start();
    for (let i = 0; i < 3; i++) {
      t.mock.timers.tick(INTERVAL);
      await f.update();
    }
    assert.equal(logger.messages('error').length, 1, logger.messages('error').join('\n'));
    assert.match(logger.messages('error')[0] ?? '', /cannot write it/);
    assert.ok(existsSync(live), 'the other file is unaffected');

    await mkdir(missing);
    await f.update();
    assert.ok(existsSync(join(missing, 'ready')));
    assert.equal(logger.messages('info').filter((m) => m.includes('works again')).length, 1);

    await rm(missing, { recursive: true });
    await f.update();
    assert.equal(logger.messages('error').length, 2, 'a new streak is logged again');
  });

  it('treats a report that throws as neither live nor ready, logging it once', async () => {
    const f = make();
    await f.update();
    assert.ok(existsSync(live) && existsSync(ready));
    current = {
      get live(): boolean {
        throw new Error('report exploded');
      },
    } as unknown as HealthReport;
    await f.update();
    await f.update();
    assert.deepEqual(await readdir(dir), []);
    assert.equal(logger.messages('error').length, 1, 'logged once per streak');
  });

  it('rejects a non-positive interval and identical paths', () => {
    assert.throws(() => createHealthFiles({ liveFilePath: live, readyFilePath: ready, intervalMs: 0, report: () => current, logger }), TypeError);
    assert.throws(() => createHealthFiles({ liveFilePath: live, readyFilePath: live, intervalMs: INTERVAL, report: () => current, logger }), TypeError);
  });
});
