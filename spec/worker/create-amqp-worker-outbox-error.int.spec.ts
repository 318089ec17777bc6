// createAmqpWorker() with an outbox it cannot open: the worker is still created, start() rejects with a
// StartupError naming the folder and OfflineResilience:LocalStoragePath, and close() ends it. Before: the
// OutboxStoreError was thrown out of createAmqpWorker() itself, past the callers' start-failure handling.
// Nothing listens on the broker port: neither test reaches a broker.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { defineJob } from '../../lib/index.ts';
import { createAmqpWorker, StartupError } from '../../lib/amqp.ts';
import { freePort } from '../support/free-port.ts';
import { captureLogger } from '../support/loggers.ts';

const root = mkdtempSync(path.join(tmpdir(), 'amqp-worker-outbox-error-'));
after(() => rmSync(root, { recursive: true, force: true }));
const jobs = [defineJob({ name: 'EchoJob', run: async () => 'ok' })];

/** A worker with this outbox folder, pointed at a port nothing listens on. */
async function workerWithOutbox(localStoragePath: string) {
  const logger = captureLogger();
  const port = await freePort();
  const worker = createAmqpWorker({ workerId: `outbox-error-${process.pid}`, rabbitmq: { host: '127.0.0.1', port, retryLowMs: 100, retryHighMs: 200 }, jobs, logger, outbox: { localStoragePath }, startupTimeoutSeconds: 5 });
  return { worker, logger };
}

describe('createAmqpWorker() with an outbox it cannot open', () => {
  it('a folder another live process holds: start() rejects with a StartupError naming the folder, the pid and the key', async () => {
    const folder = path.join(root, 'held');
    mkdirSync(folder, { recursive: true });
    const lock = path.join(folder, 'outbox.lock');
    writeFileSync(lock, String(process.ppid)); // a live process that is not this one
    const { worker, logger } = await workerWithOutbox(folder);
    assert.equal(worker.outbox, undefined);
    await assert.rejects(worker.start(), (error: unknown) => {
      assert.ok(error instanceof StartupError, String(error));
      assert.deepEqual([error.service, error.reason], ['outbox', 'refused']);
      assert.equal(error.message, `The outbox ${folder} is in use by process ${process.ppid}. Give every worker process its own OfflineResilience:LocalStoragePath.`);
      return true;
    });
    assert.deepEqual(await worker.close({ graceMs: 100 }), { abortedJobs: 0, unsettledJobs: false, outboxKept: 0 });
    assert.equal(readFileSync(lock, 'utf8'), String(process.ppid), "the other process's lock is left alone");
    assert.ok(!logger.texts().some((l) => l.includes('connecting to')), 'the start ends before connecting');
  });

  it('a folder that cannot be created: start() rejects with a StartupError naming the key', async () => {
    const file = path.join(root, 'a-file');
    writeFileSync(file, '');
    const { worker } = await workerWithOutbox(path.join(file, 'outbox'));
    await assert.rejects(worker.start(), (error: unknown) => {
      assert.ok(error instanceof StartupError, String(error));
      assert.equal(error.service, 'outbox');
      assert.match(error.message, /^Cannot create the outbox folder .*a-file\/outbox: .*Check OfflineResilience:LocalStoragePath/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
    await worker.close({ graceMs: 100 });
  });
});
