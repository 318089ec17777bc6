// A worker whose outbox sits on a 3 MB filesystem of its own (a tmpfs this spec mounts) while RabbitMQ refuses
// its statuses and logs (a reject-publish policy on its own vhost), so entries pile up until the disk is full.
// Before: lmdb's failed commit ended the process ("Commit failed", Input/output error), and again at every start.
// Now: it warns first, stops taking jobs and reports not ready naming the folder's key, keeps relaying, resumes
// once the broker takes publishes again, and every occurrence reaches its final status with all its logs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createAmqpWorker, type AmqpWorker } from '../../lib/amqp.ts';
import { defineJob, JobStatus } from '../../lib/index.ts';
import { toHealthReport } from '../../lib/host/health/to-health-report.ts';
import { useSchedulerVhost } from '../support/amqp-harness.ts';
import { eventually } from '../support/eventually.ts';
import { captureLogger } from '../support/loggers.ts';
import { needs } from '../support/services.ts';

const LINES = 10;
const JOBS = 60;
const filler = 'x'.repeat(4000); // each log takes a page of its own in LMDB: 60 jobs need far more than 3 MB
const chatty = defineJob({
  name: 'ChattyJob',
  run(_data, ctx) {
    for (let i = 1; i <= LINES; i++) ctx.log.info(`line ${i} of ${LINES} ${filler}`);
    return { lines: LINES };
  },
});
const BLOCK = ['-p', '', '--apply-to', 'queues', 'spec-block-reports', '^(job_status_updates_queue|worker_logs_queue)$', '{"max-length":0,"overflow":"reject-publish"}'];

describe('a worker whose outbox disk fills up while RabbitMQ refuses its reports', { ...needs('rabbitmq'), timeout: 240_000 }, () => {
  const root = mkdtempSync(path.join(tmpdir(), 'disk-full-'));
  let mounts = 0;
  let blocked = false;
  const block = () => {
    execFileSync('rabbitmqctl', ['-q', 'set_policy', ...BLOCK.map((a) => (a === '' ? vhost : a))]);
    blocked = true;
  };
  // Called again in `finally`: once cleared, there is nothing to clear.
  const unblock = () => {
    if (!blocked) return;
    blocked = false;
    execFileSync('rabbitmqctl', ['-q', 'clear_policy', '-p', vhost, 'spec-block-reports']);
  };
  /** A 3 MB tmpfs of its own, unmounted after the file. */
  const smallDisk = () => {
    const dir = path.join(root, `disk-${++mounts}`);
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dir]);
    return dir;
  };
  const site = useSchedulerVhost('spec-disk-full', () => {
    for (let i = 1; i <= mounts; i++) execFileSync('umount', ['-l', path.join(root, `disk-${i}`)]);
    rmSync(root, { recursive: true, force: true });
  });
  const { url, vhost } = site;

  const startWorker = async (folder: string, workerId: string) => {
    const logger = captureLogger();
    const worker = createAmqpWorker({
      workerId,
      logger,
      rabbitmq: { url, retryLowMs: 100, retryHighMs: 500 },
      jobs: [chatty],
      redis: false,
      heartbeatIntervalSeconds: 1,
      jobConfig: () => ({ maxParallelJobs: 4 }),
      outbox: { localStoragePath: folder, syncIntervalSeconds: 1, diskSpaceReserveBytes: 512 * 1024, diskSpaceWarningBytes: 1024 * 1024 },
    });
    await worker.start();
    return { worker, logger };
  };
  const readiness = (worker: AmqpWorker) => toHealthReport([worker.health()], Date.now(), Date.now() - 1000);

  it('stays up and not ready while the disk is full, resumes by itself, and every occurrence gets its final status and logs', async () => {
    const folder = smallDisk();
    const workerId = `disk-full-${process.pid}`;
    block();
    const { worker, logger } = await startWorker(folder, workerId);
    try {
      const ids: string[] = [];
      for (let i = 0; i < JOBS; i++) ids.push((await site.scheduler.dispatch({ jobName: 'ChattyJob', workerId, data: {} })).occurrenceId);
      await eventually(() => worker.health().outbox !== 'disabled' && (worker.health().outbox as { full: boolean }).full, 'the outbox to stop at its reserve', 60_000);
      const outbox = worker.outbox!.health();
      assert.equal(outbox.disk.state, 'full');
      assert.ok(outbox.reason?.includes(folder), `the reason names the folder: ${outbox.reason}`);
      const report = readiness(worker);
      assert.equal(report.ready, false);
      assert.match(report.checks.find((c) => c.name === 'Outbox')!.description, /^The outbox has no room left in its folder \(OfflineResilience:LocalStoragePath, /);
      const texts = logger.texts();
      const warned = texts.findIndex((l) => l.startsWith('warn Outbox disk nearly full'));
      const stopped = texts.findIndex((l) => l.startsWith('error Outbox disk full'));
      assert.ok(warned >= 0 && stopped > warned, 'warned before it was full');
      assert.ok(texts.some((l) => l.startsWith('warn Not taking new jobs: the outbox is full')), 'the consumers are paused');
      assert.ok(!texts.some((l) => /Commit failed|Input\/output error|No space left/.test(l)), 'LMDB never met the full disk');
      // The broker takes publishes again: the relay frees the store's pages and the worker takes the rest.
      unblock();
      for (const id of ids) {
        const final = await site.scheduler.waitForFinalStatus(id, { timeoutMs: 120_000 });
        assert.equal(final.body?.Status, JobStatus.Completed, id);
        // Logs travel on their own queue, in no order against the statuses: every line must arrive, not before the final.
        const lines = () => new Set(site.scheduler.logs(id).map((m) => String((m.body?.Log as { Message?: string } | undefined)?.Message ?? '').split(' ').slice(0, 4).join(' ')));
        const missing = () => Array.from({ length: LINES }, (_, i) => `line ${i + 1} of ${LINES}`).filter((line) => !lines().has(line));
        await site.scheduler.waitUntil(() => missing().length === 0, { what: `every log line of ${id}`, timeoutMs: 30_000 }).catch(() => undefined);
        assert.deepEqual(missing(), [], `${id}: every log line arrives`);
      }
      await eventually(() => readiness(worker).ready, 'the worker to be ready again', 30_000);
      assert.ok(logger.texts().some((l) => l.startsWith('info Outbox can write to') && l.includes(folder)));
    } finally {
      unblock();
      await worker.close({ graceMs: 1000 });
    }
  });

  it('starts with its disk already full, and a stop with the disk full ends within the grace period and its budget', async () => {
    const folder = smallDisk();
    const workerId = `disk-full-start-${process.pid}`;
    block();
    const first = await startWorker(folder, workerId);
    for (let i = 0; i < JOBS; i++) await site.scheduler.dispatch({ jobName: 'ChattyJob', workerId, data: {} });
    await eventually(() => first.worker.outbox!.health().disk.state === 'full', 'the disk to fill', 60_000);
    const kept = await first.worker.close({ graceMs: 1000, drainMs: 1000 });
    assert.ok(kept.outboxKept > 0);
    // Started again with the disk still full: the start completes and the worker reports not ready.
    const again = await startWorker(folder, workerId);
    try {
      await eventually(() => again.worker.outbox!.health().full, 'the outbox to report full at start', 10_000);
      assert.equal(readiness(again.worker).ready, false);
      const started = performance.now();
      const report = await again.worker.close({ graceMs: 2000, drainMs: 1000, budgetMs: 8000 });
      assert.ok(performance.now() - started < 8000 + 2000, 'the stop ends within its budget (and a step for the closes)');
      assert.ok(report.outboxKept > 0, 'what it holds stays for the next start');
    } finally {
      unblock();
      await again.worker.close();
    }
  });
});
