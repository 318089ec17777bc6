// Beyond at-least-once, against the real RabbitMQ, Redis and LMDB, with worker processes that die: a job that
// finished in one process of a WorkerId is not run again by another that gets its redelivery (shared records in
// Redis; with Redis stopped each process falls back to its own), nor by another that gets it while the first
// still runs it (its connection cut: the attempt is held in Redis, the other waits), and a message that kills its
// process every time is stopped after Worker:MaxCrashRedeliveries crashes, dead-lettered with the reason and a
// Failed status, on a classic queue (the count in the outbox's LMDB, across restarts) and on a quorum queue (the
// count in Redis).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { JobStatus } from '../../lib/index.ts';
import { createSchedulerClient, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { eventually } from '../support/eventually.ts';
import { freePort } from '../support/free-port.ts';
import { needs } from '../support/services.ts';
import { createTcpProxy } from '../support/tcp-proxy.ts';
import { killAllWorkers, spawnWorker, type ChildWorker } from '../support/spawn-worker.ts';

const SCRIPT = fileURLToPath(new URL('../support/redelivery-worker.ts', import.meta.url));
const NOT_RUN_AGAIN = /^Not run again: 4 deliveries of this occurrence ended with no outcome, its worker process gone while it ran \(more than Worker:MaxCrashRedeliveries = 3\)$/;

/** A vhost, a scheduler stand-in on it and a folder for outboxes and the runs file, for one describe block. */
function useSite(name: string, queueType: 'Classic' | 'Quorum' = 'Classic') {
  const site = { url: '', dir: '', runsFile: '', scheduler: undefined as unknown as SchedulerClient, vhost: `spec-${name}-${process.pid}` };
  let workers = 0;
  before(async () => {
    createVhost(site.vhost);
    site.url = `${AMQP_URL}/${site.vhost}`;
    site.scheduler = await createSchedulerClient({ url: site.url, queueType });
    site.dir = mkdtempSync(path.join(tmpdir(), `${name}-`));
    site.runsFile = path.join(site.dir, 'runs');
    writeFileSync(site.runsFile, '');
  });
  after(async () => {
    killAllWorkers();
    await site.scheduler.close();
    deleteVhost(site.vhost);
    rmSync(site.dir, { recursive: true, force: true });
  });
  return {
    site,
    /** The config of one worker process of `workerId`, with its own outbox folder `name`. */
    config: (workerId: string, name: string, extra: Record<string, unknown> = {}) => ({ url: site.url, workerId, outboxDir: path.join(site.dir, name), runsFile: site.runsFile, queueType, ...extra }),
    newWorkerId: () => `spec-${name}-${process.pid}-${++workers}`,
    /** The runs of an occurrence so far, each `<job> <occurrence> <pid>`. */
    runs: (occurrenceId: string) => readFileSync(site.runsFile, 'utf8').split('\n').filter((line) => line.includes(occurrenceId)),
  };
}

/** A redis-server of this spec's own on a free port, stopped in `after` if still running. */
async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  after(() => void child.kill('SIGKILL'));
  const { createClient } = await import('redis');
  for (let tries = 0; ; tries++) {
    const probe = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.close();
      break;
    } catch (error) {
      if (tries > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Whether any of the workers printed `text`. */
const printed = (workers: readonly ChildWorker[], text: string) => workers.some((w) => w.output().includes(text));

describe('a job finished in one process of a WorkerId, redelivered to another', needs('rabbitmq', 'redis'), () => {
  const { site, config, newWorkerId, runs } = useSite('finished-shared');

  it('is acked without running again when its process died between the final status and the ack', async () => {
    const workerId = newWorkerId();
    const redis = 'redis://127.0.0.1:6379';
    const a = await spawnWorker(config(workerId, 'a', { redis, killAtAck: true }), 30_000, SCRIPT);
    const { occurrenceId } = await site.scheduler.dispatch({ jobName: 'ChargeJob', workerId });
    assert.equal((await a.exited).signal, 'SIGKILL', 'A died at its ack');
    assert.equal(runs(occurrenceId).length, 1);
    const others = await Promise.all([spawnWorker(config(workerId, 'b', { redis }), 30_000, SCRIPT), spawnWorker(config(workerId, 'c', { redis }), 30_000, SCRIPT)]);
    await eventually(() => printed(others, 'already finished in another process of this worker'), 'B or C to ack the redelivery unrun', 20_000);
    assert.deepEqual(runs(occurrenceId).map((line) => line.split(' ')[2]), [String(a.child.pid)], 'it ran once, in A');
    // Nothing is lost: A, restarted on its outbox, sends the final status it kept.
    await spawnWorker(config(workerId, 'a', { redis }), 30_000, SCRIPT);
    const final = await site.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 20_000 });
    assert.equal(final.body!.Status, JobStatus.Completed);
    killAllWorkers();
  });

  it('runs again in another process when Redis is stopped (each process knows only its own), and nothing is lost', async () => {
    const workerId = newWorkerId();
    const own = await startRedis();
    const a = await spawnWorker(config(workerId, 'a', { redis: own.url, killAtAck: true }), 30_000, SCRIPT);
    const { occurrenceId } = await site.scheduler.dispatch({ jobName: 'ChargeJob', workerId });
    assert.equal((await a.exited).signal, 'SIGKILL');
    await own.stop();
    await Promise.all([spawnWorker(config(workerId, 'b', { redis: own.url }), 30_000, SCRIPT), spawnWorker(config(workerId, 'c', { redis: own.url }), 30_000, SCRIPT)]);
    await eventually(() => runs(occurrenceId).length === 2, 'the fallback run in B or C', 20_000);
    const final = await site.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 20_000 });
    assert.equal(final.body!.Status, JobStatus.Completed);
    killAllWorkers();
  });
});

describe('a job still running in a process whose connection was cut, redelivered to another', needs('rabbitmq', 'redis'), () => {
  const { site, config, newWorkerId, runs } = useSite('held-attempt');

  /** A runs HoldJob (8 s) behind a proxy, B joins, A's connections are cut: the delivery goes to B while A runs on. */
  async function cutWhileRunning(redis: string | undefined) {
    const proxy = await createTcpProxy({ targetPort: Number(new URL(AMQP_URL).port || 5672) });
    after(() => proxy.close());
    const workerId = newWorkerId();
    const viaProxy = site.url.replace(/@[^/]+\//, `@127.0.0.1:${proxy.port}/`);
    const extra = redis === undefined ? {} : { redis };
    const a = await spawnWorker({ ...config(workerId, 'a', extra), url: viaProxy }, 30_000, SCRIPT);
    const { occurrenceId } = await site.scheduler.dispatch({ jobName: 'HoldJob', workerId });
    await eventually(() => runs(occurrenceId).length === 1, 'the run in A', 20_000);
    const b = await spawnWorker(config(workerId, 'b', extra), 30_000, SCRIPT);
    proxy.cut();
    return { a, b, proxy, occurrenceId };
  }

  it('waits in B while A holds the attempt, then acks it unrun once A ended it: one run, and its final status', async () => {
    const { a, b, proxy, occurrenceId } = await cutWhileRunning('redis://127.0.0.1:6379');
    await eventually(() => b.output().includes(`HoldJob ${occurrenceId} was redelivered while it still runs in ${a.instanceId}`), 'B to wait for A', 20_000);
    proxy.restore();
    await eventually(() => b.output().includes('whose connection was lost before its ack; acking the redelivery without running it') || b.output().includes('already finished in another process'), 'B to ack it unrun', 30_000);
    assert.deepEqual(runs(occurrenceId).map((line) => line.split(' ')[2]), [String(a.child.pid)], 'it ran once, in A');
    const final = await site.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 30_000 });
    assert.equal(final.body!.Status, JobStatus.Completed);
    killAllWorkers();
  });

  it('runs twice without Redis (each process knows only its own), and nothing is lost', async () => {
    const { proxy, occurrenceId } = await cutWhileRunning(undefined);
    await eventually(() => runs(occurrenceId).length === 2, 'the second run, in B', 20_000);
    proxy.restore();
    const final = await site.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 30_000 });
    assert.equal(final.body!.Status, JobStatus.Completed);
    killAllWorkers();
  });
});

/**
 * Runs a worker as a supervisor would (start, and start again after each death) until the poison occurrence gets
 * its final status; returns how many processes it took.
 */
async function superviseUntilFinal(scheduler: SchedulerClient, occurrenceId: string, start: () => Promise<ChildWorker>, first: ChildWorker): Promise<number> {
  let starts = 1;
  let current: ChildWorker | undefined = first;
  const final = scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 90_000 });
  for (;;) {
    const died = current === undefined ? Promise.resolve('died' as const) : current.exited.then(() => 'died' as const);
    if ((await Promise.race([final.then(() => 'final' as const), died])) === 'final') return starts;
    assert.ok(starts < 8, `more than 8 starts without a final status for ${occurrenceId}`);
    starts++;
    // A process killed before it printed READY rejects the start: that was a death too.
    current = await start().catch(() => undefined);
  }
}

for (const queueType of ['Classic', 'Quorum'] as const) {
  describe(`a message that kills its process every time, on a ${queueType.toLowerCase()} queue`, needs('rabbitmq', 'redis'), () => {
    const { site, config, newWorkerId, runs } = useSite(`poison-${queueType.toLowerCase()}`, queueType);

    it('is stopped after MaxCrashRedeliveries (3) crashes: dead-lettered with the reason, a Failed status, and the next job runs', async () => {
      const workerId = newWorkerId();
      // Classic: the process's own count (the outbox's LMDB, across restarts); quorum: the shared count in Redis.
      const extra = queueType === 'Quorum' ? { redis: 'redis://127.0.0.1:6379', maxCrashRedeliveries: 3 } : { maxCrashRedeliveries: 3 };
      const start = () => spawnWorker(config(workerId, 'p', extra), 30_000, SCRIPT);
      const first = await start();
      const poison = await site.scheduler.dispatch({ jobName: 'PoisonJob', workerId });
      const starts = await superviseUntilFinal(site.scheduler, poison.occurrenceId, start, first);
      assert.equal(runs(poison.occurrenceId).length, 4, 'it ran once, then on 3 crash redeliveries');
      assert.equal(starts, 5, 'four processes died on it; the fifth declined it');
      const final = site.scheduler.statuses(poison.occurrenceId).at(-1)!;
      assert.equal(final.body!.Status, JobStatus.Failed);
      assert.match(String(final.body!.Exception), NOT_RUN_AGAIN);
      await site.scheduler.waitUntil(() => site.scheduler.deadLetters(poison.occurrenceId).length === 1, { what: 'the dead letter', timeoutMs: 10_000 });
      assert.match(String(site.scheduler.deadLetters(poison.occurrenceId)[0]!.body!['Exception']), NOT_RUN_AGAIN);
      const next = await site.scheduler.dispatch({ jobName: 'QuickJob', workerId });
      assert.equal((await site.scheduler.waitForFinalStatus(next.occurrenceId, { timeoutMs: 20_000 })).body!.Status, JobStatus.Completed);
      killAllWorkers();
    });
  });
}
