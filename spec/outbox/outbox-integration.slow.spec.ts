// The outbox against the real RabbitMQ and LMDB: outages, a SIGKILLed worker, the size bound, idempotency.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { open } from 'lmdb';
import { defineJob, JobStatus } from '../../lib/index.ts';
import { openOutboxStore } from '../../lib/outbox/open-outbox-store.ts';
import type { CollectedMessage } from '../../lib/scheduler-client/index.ts';
import { createAmqpHarness, type AmqpHarness } from '../support/amqp-harness.ts';
import { needs } from '../support/services.ts';
import { killAllWorkers, spawnWorker } from '../support/spawn-worker.ts';
import { STALE_MS } from '../../lib/outbox/create-outbox-relay.ts';
import { createTcpProxy } from '../support/tcp-proxy.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const root = mkdtempSync(path.join(tmpdir(), 'outbox-it-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** First arrival of every message id: duplicates after a crash are expected and dropped by id. */
function unique<T>(messages: readonly CollectedMessage<T>[]): CollectedMessage<T>[] {
  const seen = new Set<string>();
  return messages.filter((m) => {
    const id = String(m.properties.messageId);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Per store, the sequence numbers in a message id (`{store}-{seq}`) must arrive in increasing order. The
 * broker keeps order per queue, not across queues, so statuses and logs are checked each on their own. A
 * Running sent directly (a UUID message id, never stored) must come before every stored status of its attempt.
 */
function assertOrdered(messages: readonly CollectedMessage<unknown>[], what: string): void {
  const last = new Map<string, number>();
  const stored = messages.filter((m) => /^[0-9a-f]+-\d+$/.test(String(m.properties.messageId)));
  const direct = messages.findIndex((m) => !stored.includes(m));
  if (direct >= 0) assert.ok(messages.slice(0, direct).every((m) => (m.body as { Status?: number }).Status === 1), `${what}: a direct Running came after a final`);
  for (const m of stored) {
    const [store, seq] = String(m.properties.messageId).split('-');
    assert.ok(Number(seq) > (last.get(store!) ?? -1), `${what}: ${m.properties.messageId} arrived after a later message`);
    last.set(store!, Number(seq));
  }
}

/**
 * The notice the executor logs first when it runs a redelivered delivery (create-executor.ts, noteRedelivery).
 * A broker cut requeues every unacked delivery with redelivered set, including ones this worker had not
 * started (in flight to it, or buffered on the channel that closed): their one and only run opens with it.
 */
const REDELIVERY_NOTICE = 'Redelivery detected: this occurrence was delivered before and runs again';
const STEP_LOG = /^step \d+$/;
const messageOf = (log: CollectedMessage<unknown>) => String(((log.body as { Log?: Record<string, unknown> }).Log ?? {})['Message']);

const runs = new Map<string, number>();
const stepJob = defineJob({
  name: 'StepJob',
  maxParallelJobs: 10,
  async run(_d, ctx) {
    runs.set(ctx.occurrence.id, (runs.get(ctx.occurrence.id) ?? 0) + 1);
    for (let i = 0; i < 5; i++) {
      ctx.log.info(`step ${i}`, { step: i });
      await sleep(40);
    }
    return 'stepped';
  },
});
const quickJob = defineJob({ name: 'QuickJob', maxParallelJobs: 4, run: (_d, ctx) => void runs.set(ctx.occurrence.id, (runs.get(ctx.occurrence.id) ?? 0) + 1) });

describe('outbox against RabbitMQ and LMDB', { timeout: 90_000, ...needs('rabbitmq') }, () => {
  let h: AmqpHarness;
  before(async () => {
    h = await createAmqpHarness('outbox');
  });
  // A test that fails before its own restore() or close() must not leave the proxy cut, nor a worker (or a
  // child) on the job queues all tests share: it would take the next test's jobs.
  afterEach(async () => {
    killAllWorkers();
    await h.closeWorkers();
  });
  after(async () => {
    killAllWorkers();
    await h.close();
  });

  it('a broker outage mid-run loses no status and no log; order per occurrence holds', async () => {
    const worker = await h.startWorker({ jobs: [stepJob], outbox: { localStoragePath: path.join(root, 'outage'), syncIntervalSeconds: 1 } });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await h.scheduler.dispatch({ jobName: 'StepJob', workerId: h.workerId })).occurrenceId);
    await sleep(100);
    h.proxy.cut();
    await sleep(800);
    assert.ok(worker.outbox!.health().pending > 0, 'statuses and logs wait in the outbox during the outage');
    h.proxy.restore();
    for (const id of ids) {
      const final = await h.scheduler.waitForFinalStatus(id, { timeoutMs: 20_000 });
      assert.equal(final.body!.Status, JobStatus.Completed);
    }
    const steps = (id: string) => unique(h.scheduler.logs(id)).filter((l) => STEP_LOG.test(messageOf(l)));
    await h.scheduler.waitUntil(() => ids.every((id) => steps(id).length >= 5), { what: 'five step logs per occurrence', timeoutMs: 15_000 });
    for (const id of ids) {
      const logs = unique(h.scheduler.logs(id));
      assert.deepEqual(steps(id).map(messageOf), ['step 0', 'step 1', 'step 2', 'step 3', 'step 4'], `step logs of ${id}`);
      // Besides its steps, an occurrence may only have redelivery notices, written before the run's first step.
      const others = logs.filter((l) => !STEP_LOG.test(messageOf(l)));
      for (const notice of others) {
        assert.equal(messageOf(notice), REDELIVERY_NOTICE, `logs of ${id}: ${logs.map(messageOf).join(' | ')}`);
        assert.equal((notice.body!.Log as Record<string, unknown>)['Category'], 'Redelivery');
      }
      assert.deepEqual(logs.slice(0, others.length), others, `the redelivery notice of ${id} comes before its steps`);
      const statuses = unique(h.scheduler.statuses(id));
      assert.equal(statuses.filter((s) => s.body!.Status !== JobStatus.Running).length, 1, 'exactly one final status');
      assertOrdered(statuses, `statuses of ${id}`);
      assertOrdered(logs, `logs of ${id}`);
      assert.equal(runs.get(id), 1);
    }
    await worker.close({ graceMs: 1000 });
    assert.equal(worker.outbox!.store.pending, 0);
    // Removals commit in the background of the relay; close() waits for them: nothing is left on disk.
    const reopened = openOutboxStore({ directory: path.join(root, 'outage') });
    assert.deepEqual(reopened.read(0, 10), []);
    await reopened.close();
  });

  it('a worker killed with SIGKILL and restarted delivers every status and log written before the kill', async () => {
    const proxy = await createTcpProxy({ targetPort: 5672 });
    const outboxDir = path.join(root, 'sigkill');
    const config = { url: `amqp://guest:guest@127.0.0.1:${proxy.port}/${h.workerId}`, workerId: `${h.workerId}-child`, outboxDir, steps: 20, stepMs: 30 };
    try {
      const first = await spawnWorker(config);
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) ids.push((await h.scheduler.dispatch({ jobName: 'StepJob', workerId: config.workerId })).occurrenceId);
      await h.scheduler.waitUntil(() => ids.every((id) => h.scheduler.statuses(id).length > 0), { what: 'every job to start' });
      proxy.cut(); // from now on everything the child writes stays in its outbox
      await sleep(300);
      first.child.kill('SIGKILL');
      await first.exited;
      // What the killed worker had committed (the store is closed now; read it as LMDB files).
      const db = open({ path: path.join(outboxDir, 'outbox.mdb'), maxDbs: 8, readOnly: true });
      // A message id is the store's id and the entry's sequence number (see create-outbox-store.ts).
      const storeId = db.openDB<string, string>({ name: 'meta' }).get('id');
      const pending = [...db.openDB<Buffer, number>({ name: 'entries', keyEncoding: 'ordered-binary', encoding: 'binary' }).getKeys()].map((seq) => ({ messageId: `${storeId}-${seq}` }));
      await db.close();
      assert.ok(pending.length > 20, `expected a backlog in the killed worker's outbox, found ${pending.length}`);
      proxy.restore();
      const second = await spawnWorker(config);
      const arrivedIds = () => new Set([...h.scheduler.statuses(), ...h.scheduler.logs()].map((m) => String(m.properties.messageId)));
      await h.scheduler.waitUntil(() => pending.every((p) => arrivedIds().has(p.messageId)), { what: 'every entry written before the kill', timeoutMs: 20_000 });
      for (const id of ids) {
        const final = await h.scheduler.waitForFinalStatus(id, { timeoutMs: 20_000 });
        assert.equal(final.body!.Status, JobStatus.Completed);
        assertOrdered(unique(h.scheduler.statuses(id)), `statuses of ${id}`);
        assertOrdered(unique(h.scheduler.logs(id)), `logs of ${id}`);
      }
      second.child.kill('SIGTERM');
      await second.exited;
    } finally {
      await proxy.close();
    }
  });

  it('when the outbox is full the worker stops taking jobs instead of dropping anything, then resumes', async () => {
    const publishProxy = await createTcpProxy({ targetPort: 5672 });
    try {
      const worker = await h.startWorker({
        jobs: [quickJob],
        rabbitmq: { url: h.url, publishUrl: `amqp://guest:guest@127.0.0.1:${publishProxy.port}/${h.workerId}`, retryLowMs: 100, retryHighMs: 500 },
        outbox: { localStoragePath: path.join(root, 'bounded'), maxPendingEntries: 10, syncIntervalSeconds: 1 },
      });
      publishProxy.cut(); // publishing is down, consuming is not: statuses pile up in the outbox
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push((await h.scheduler.dispatch({ jobName: 'QuickJob', workerId: h.workerId })).occurrenceId);
      await h.scheduler.waitUntil(() => h.logger.texts().some((l) => l.includes('Outbox full')), { what: 'the outbox to report full' });
      await sleep(1000);
      const ran = ids.filter((id) => runs.has(id)).length;
      assert.ok(ran < 40, `intake should have stopped, but ${ran} of 40 jobs ran`);
      assert.ok(worker.outbox!.health().full);
      assert.ok(h.logger.texts().some((l) => l.includes('Not taking new jobs')));
      await sleep(STALE_MS); // an outage longer than STALE_MS: the waiting Running entries are stale now
      publishProxy.restore();
      for (const id of ids) assert.equal((await h.scheduler.waitForFinalStatus(id, { timeoutMs: 30_000 })).body!.Status, JobStatus.Completed);
      assert.ok(h.logger.texts().some((l) => l.includes('Taking new jobs again')));
    // Jobs that ran while publishing was down had Running and the final waiting together through the outage:
    // only the final (which carries StartTime) was sent. (A Running written after the outage goes out on its own.)
    assert.ok(worker.outbox!.relay.stats.coalesced > 0, 'some Running entries were coalesced');
    const coalesced = ids.filter((id) => unique(h.scheduler.statuses(id)).length === 1);
    assert.ok(coalesced.length > 0);
    for (const id of coalesced) assert.match(String(h.scheduler.statuses(id)[0]!.body!['StartTime']), /^\d{4}-/);
      await worker.close({ graceMs: 1000 });
    } finally {
      await publishProxy.close();
    }
  });

  it('remembers finished occurrences across a restart: a duplicate delivery is acked without running', async () => {
    const dir = path.join(root, 'idempotent');
    const first = await h.startWorker({ jobs: [quickJob], outbox: { localStoragePath: dir } });
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'QuickJob', workerId: h.workerId });
    await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    await first.close({ graceMs: 1000 });
    const second = await h.startWorker({ jobs: [quickJob], outbox: { localStoragePath: dir } });
    await h.scheduler.dispatch({ jobName: 'QuickJob', workerId: h.workerId, occurrenceId });
    await h.scheduler.waitUntil(() => h.logger.texts().some((l) => l.includes(`${occurrenceId} already finished`)), { what: 'the duplicate to be acked' });
    assert.equal(runs.get(occurrenceId), 1);
    await second.close({ graceMs: 1000 });
  });

  it('publishes statuses and logs persistent by default (a direct Running transient), all transient with RabbitMQ:PersistentStatusMessages false', async () => {
    for (const persistent of [true, false]) {
      const worker = await h.startWorker({
        jobs: [stepJob],
        rabbitmq: { url: h.url, persistentStatusMessages: persistent },
        outbox: { localStoragePath: path.join(root, `persistent-${persistent}`) },
      });
      const id = (await h.scheduler.dispatch({ jobName: 'StepJob', workerId: h.workerId })).occurrenceId;
      await h.scheduler.waitForFinalStatus(id);
      await h.scheduler.waitUntil(() => h.scheduler.logs(id).length > 0, { what: 'a log of the job' });
      const direct = (m: CollectedMessage<unknown>) => !/^[0-9a-f]+-\d+$/.test(String(m.properties.messageId));
      for (const m of [...h.scheduler.statuses(id), ...h.scheduler.logs(id)]) assert.equal(m.properties.durable, persistent && !direct(m), `delivery mode of ${m.text}`);
      assert.equal(h.scheduler.statuses(id).filter(direct).length, 1, 'the Running went out directly');
      await worker.close({ graceMs: 1000 });
    }
  });
});
