// Rate limits and the cap across processes against the real RabbitMQ, Redis and LMDB, with worker processes: three
// processes that share a limit of 20 a second through Redis run 600 jobs dispatched at once at 20 a second, and at
// 3 × 20 with the limit per process; each key of a keyed limit has its own turns; a job waiting for its turn can be
// cancelled, and a SIGTERM gives its delivery back to the queue; with Redis stopped mid-run the processes go on
// under their own limits and lose nothing. A cap of 2 across three processes never has more than 2 runs at once,
// retries included, and a SIGKILLed process's slots are freed within the lease.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { JobStatus } from '../../lib/index.ts';
import { createSchedulerClient, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { startRedisServer, stopAll } from '../support/redis-servers.ts';
import { needs } from '../support/services.ts';
import { killAllWorkers, spawnWorker, type ChildWorker } from '../support/spawn-worker.ts';

const SCRIPT = fileURLToPath(new URL('../support/limited-worker.ts', import.meta.url));

interface Run {
  readonly at: number;
  readonly pid: number;
  readonly occurrenceId: string;
  readonly key: string;
}

const site = { url: '', dir: '', scheduler: undefined as unknown as SchedulerClient, vhost: `spec-limits-${process.pid}` };
let files = 0;
before(async () => {
  createVhost(site.vhost);
  site.url = `${AMQP_URL}/${site.vhost}`;
  site.scheduler = await createSchedulerClient({ url: site.url });
  site.dir = mkdtempSync(path.join(tmpdir(), 'limits-'));
});
after(async () => {
  killAllWorkers();
  await stopAll();
  await site.scheduler.close();
  deleteVhost(site.vhost);
  rmSync(site.dir, { recursive: true, force: true });
});

/** `count` worker processes of a new WorkerId with LimitedJob under `rateLimit`, and the runs file they share. */
async function startWorkers(
  count: number,
  extra: Record<string, unknown>,
  workerId = `spec-limits-${process.pid}-${files + 1}`,
): Promise<{ workerId: string; workers: ChildWorker[]; runs(): Run[]; spans(): { start: number; end: number }[] }> {
  const n = ++files;
  const runsFile = path.join(site.dir, `runs-${n}`);
  writeFileSync(runsFile, '');
  const workers = await Promise.all(
    Array.from({ length: count }, (_, i) => spawnWorker({ url: site.url, workerId, outboxDir: path.join(site.dir, `outbox-${n}-${i}`), runsFile, ...extra }, 30_000, SCRIPT)),
  );
  const runs = () =>
    readFileSync(runsFile, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('S '))
      .map((line) => {
        const [, at, pid, occurrenceId, key] = line.split(' ');
        return { at: Number(at), pid: Number(pid), occurrenceId: occurrenceId!, key: key! };
      });
  // Each attempt's start and end, as the job itself wrote them.
  const spans = () => {
    const open = new Map<string, number>();
    const out: { start: number; end: number }[] = [];
    for (const line of readFileSync(runsFile, 'utf8').split('\n')) {
      const [kind, at, , occurrenceId, fifth, sixth] = line.split(' ');
      if (kind === 'S') open.set(`${occurrenceId} ${sixth}`, Number(at));
      if (kind === 'E') out.push({ start: open.get(`${occurrenceId} ${fifth}`)!, end: Number(at) });
    }
    return out;
  };
  return { workerId, workers, runs, spans };
}

/** The most attempts running at one moment. */
function mostAtOnce(spans: readonly { start: number; end: number }[]): number {
  const events = spans.flatMap((s) => [[s.start, 1] as const, [s.end, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, delta] of events) most = Math.max(most, (now += delta));
  return most;
}

/** Dispatches `count` LimitedJobs at once; resolves with their occurrence ids. */
async function dispatch(workerId: string, count: number, data?: Record<string, unknown>): Promise<string[]> {
  const dispatched = await Promise.all(Array.from({ length: count }, () => site.scheduler.dispatch({ jobName: 'LimitedJob', workerId, ...(data === undefined ? {} : { data }) })));
  return dispatched.map((d) => d.occurrenceId);
}

/** Waits for every occurrence's final status and checks each Completed, ran once. */
async function expectAllCompleted(ids: readonly string[], runs: () => Run[], timeoutMs: number): Promise<void> {
  for (const id of ids) assert.equal((await site.scheduler.waitForFinalStatus(id, { timeoutMs })).body!.Status, JobStatus.Completed, `${id} completed`);
  const ran = runs();
  for (const id of ids) assert.equal(ran.filter((r) => r.occurrenceId === id).length, 1, `${id} ran once`);
}

/** Starts per second over the run, and the most starts in any window of one second. */
function rateOf(runs: readonly Run[]): { perSecond: number; mostInOneSecond: number } {
  const times = runs.map((r) => r.at).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return { perSecond: ((times.length - 1) * 1000) / (times[times.length - 1]! - times[0]!), mostInOneSecond: most };
}

describe('rate limits across worker processes', { ...needs('rabbitmq', 'redis'), timeout: 300_000 }, () => {
  it('three processes sharing a limit of 20 a second through Redis run 600 jobs dispatched at once at 20 a second, none lost, skipped or failed', async (t) => {
    const { workerId, runs } = await startWorkers(3, { rateLimit: { count: 20, periodSeconds: 1, scope: 'shared' }, redis: 'redis://127.0.0.1:6379' });
    const ids = await dispatch(workerId, 600);
    await expectAllCompleted(ids, runs, 90_000);
    const { perSecond, mostInOneSecond } = rateOf(runs());
    t.diagnostic(`600 jobs at ${perSecond.toFixed(2)} a second, at most ${mostInOneSecond} starts in one second`);
    assert.ok(perSecond >= 18 && perSecond <= 22, `ran at ${perSecond.toFixed(2)} a second`);
    // The turns are 50 ms apart in Redis; each start comes after its turn by a delay that varies between processes on
    // two busy cores, so a window of one second can hold a start or two more than 20 (without the limit: hundreds).
    assert.ok(mostInOneSecond <= 25, `${mostInOneSecond} starts within one second`);
    assert.equal(new Set(runs().map((r) => r.pid)).size, 3, 'every process ran some');
  });

  it('the same limit per process (no Redis) lets three processes run 3 × 20 a second', async (t) => {
    const { workerId, runs } = await startWorkers(3, { rateLimit: { count: 20, periodSeconds: 1 } });
    const ids = await dispatch(workerId, 600);
    await expectAllCompleted(ids, runs, 60_000);
    const { perSecond } = rateOf(runs());
    t.diagnostic(`600 jobs at ${perSecond.toFixed(2)} a second`);
    assert.ok(perSecond >= 48 && perSecond <= 66, `ran at ${perSecond.toFixed(2)} a second`);
  });

  it('gives each key its own limit: a busy tenant does not slow another', async () => {
    const { workerId, runs } = await startWorkers(1, { rateLimit: { count: 2, periodSeconds: 1, key: 'tenant' } });
    const busy = await dispatch(workerId, 10, { tenant: 'busy' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const quiet = await dispatch(workerId, 2, { tenant: 'quiet' });
    await expectAllCompleted([...busy, ...quiet], runs, 30_000);
    const ran = runs();
    const first = Math.min(...ran.map((r) => r.at));
    const quietStarts = ran.filter((r) => r.key === 'quiet').map((r) => r.at - first);
    const busyStarts = ran.filter((r) => r.key === 'busy').map((r) => r.at - first);
    // The busy tenant's ten take 4.5 s at two a second; the quiet one's two start 0.5 s apart, as soon as they come.
    assert.ok(Math.max(...busyStarts) >= 4000, `busy tenant's last start at ${Math.max(...busyStarts)} ms`);
    assert.ok(Math.max(...quietStarts) < 2500, `quiet tenant's starts at ${quietStarts.join(', ')} ms`);
  });

  it('a cancel reaches a job waiting for its turn (Cancelled, never run), and SIGTERM gives a waiting delivery back to the queue', async () => {
    const redis = 'redis://127.0.0.1:6379';
    const { workerId, workers, runs } = await startWorkers(1, { rateLimit: { count: 1, periodSeconds: 60 }, redis });
    const [first, waiting, third] = await dispatch(workerId, 3);
    await site.scheduler.waitForFinalStatus(first!, { timeoutMs: 15_000 });
    await site.scheduler.waitUntil(() => site.scheduler.logs(waiting!).some((l) => /Waiting .* rate limit of 1 per 60 s/.test(String(l.body?.Log?.['Message']))), { what: 'the waiting log line', timeoutMs: 10_000 });
    await site.scheduler.cancel(waiting!, 'not needed any more');
    const final = await site.scheduler.waitForFinalStatus(waiting!, { timeoutMs: 10_000 });
    assert.equal(final.body!.Status, JobStatus.Cancelled);
    assert.equal(runs().filter((r) => r.occurrenceId === waiting).length, 0, 'the cancelled job never ran');
    assert.equal(site.scheduler.statuses(waiting!).filter((s) => s.body?.Status === JobStatus.Running).length, 0, 'nor reported Running');
    // The third waits now (its turn is a minute away): a SIGTERM stops the worker at once and gives it back.
    await site.scheduler.waitUntil(() => site.scheduler.logs(third!).length > 0, { what: 'the third job waiting', timeoutMs: 10_000 });
    const t0 = Date.now();
    workers[0]!.child.kill('SIGTERM');
    assert.deepEqual(await workers[0]!.exited, { code: 0, signal: null });
    assert.ok(Date.now() - t0 < 5000, `stopped in ${Date.now() - t0} ms`);
    assert.match(workers[0]!.output(), /STOPPED/);
    assert.equal(runs().filter((r) => r.occurrenceId === third).length, 0, 'the third had not run');
    // Given back, not failed: a new process of the WorkerId runs it.
    const next = await startWorkers(1, { rateLimit: { count: 1, periodSeconds: 60 }, redis }, workerId);
    assert.equal((await site.scheduler.waitForFinalStatus(third!, { timeoutMs: 20_000 })).body!.Status, JobStatus.Completed);
    assert.equal(next.runs().filter((r) => r.occurrenceId === third).length, 1);
  });

  it('with Redis stopped mid-run, each process goes on under its own limit, and no job is lost', async (t) => {
    const redis = await startRedisServer();
    const { workerId, runs } = await startWorkers(2, { rateLimit: { count: 10, periodSeconds: 1, scope: 'shared' }, redis: `redis://127.0.0.1:${redis.port}` });
    const ids = await dispatch(workerId, 160);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const stoppedAt = Date.now();
    await redis.kill();
    await expectAllCompleted(ids, runs, 60_000);
    const ran = runs();
    const before = rateOf(ran.filter((r) => r.at < stoppedAt - 500));
    const afterStop = rateOf(ran.filter((r) => r.at > stoppedAt + 1500));
    t.diagnostic(`${before.perSecond.toFixed(2)} a second shared, ${afterStop.perSecond.toFixed(2)} after Redis stopped`);
    assert.ok(before.perSecond <= 12, `shared: ${before.perSecond.toFixed(2)} a second`);
    assert.ok(afterStop.perSecond >= 15, `per process after Redis stopped: ${afterStop.perSecond.toFixed(2)} a second`);
  });
});

describe('a cap across worker processes (MaxParallelJobsGlobal)', { ...needs('rabbitmq', 'redis'), timeout: 180_000 }, () => {
  const redis = 'redis://127.0.0.1:6379';

  it('three processes with a cap of 2 never run more than 2 at once, retries included', async () => {
    const { workerId, runs, spans } = await startWorkers(3, { maxParallelJobsGlobal: 2, failFirst: true, runMs: 150, redis });
    const ids = await dispatch(workerId, 20);
    await expectAllCompletedAfterRetry(ids, runs);
    const attempts = spans();
    assert.equal(attempts.length, 40, 'each job ran twice: its first attempt failed, its retry completed');
    assert.equal(mostAtOnce(attempts), 2, 'never more than the cap at once, and the cap was used');
    assert.ok(new Set(runs().map((r) => r.pid)).size >= 2, 'the runs were spread over the processes');
  });

  it('a SIGKILLed process\'s slots are freed within the lease (15 s), not before it runs out', async (t) => {
    const a = await startWorkers(1, { maxParallelJobsGlobal: 2, redis });
    const long = await dispatch(a.workerId, 2, { runMs: 120_000 });
    await waitFor(() => a.runs().length === 2, 'both long jobs to start in A');
    const b = await startWorkers(1, { maxParallelJobsGlobal: 2, redis }, a.workerId);
    const [short] = await dispatch(a.workerId, 1, { runMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(b.runs().length, 0, 'B waits while A holds both slots');
    const killedAt = Date.now();
    a.workers[0]!.child.kill('SIGKILL');
    await waitFor(() => b.runs().length > 0, 'B to start a run', 25_000);
    const after = b.runs()[0]!.at - killedAt;
    t.diagnostic(`B's first run started ${after} ms after A was SIGKILLed`);
    // A refreshed its leases at most 5 s before it died: they ran out 10 to 15 s after.
    assert.ok(after >= 9000 && after <= 17_000, `B's first run started ${after} ms after A died`);
    assert.ok(mostAtOnce(b.spans()) <= 2);
    void long;
    void short;
  });
});

/** Waits until `check()` holds, polling every 100 ms. */
async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits for every occurrence's final status and checks each Completed (its retry did). */
async function expectAllCompletedAfterRetry(ids: readonly string[], runs: () => Run[]): Promise<void> {
  for (const id of ids) assert.equal((await site.scheduler.waitForFinalStatus(id, { timeoutMs: 60_000 })).body!.Status, JobStatus.Completed, `${id} completed`);
  for (const id of ids) assert.equal(runs().filter((r) => r.occurrenceId === id).length, 2, `${id} ran twice`);
}
