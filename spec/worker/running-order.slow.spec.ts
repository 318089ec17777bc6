// Per occurrence the worker PUBLISHES an attempt's Running, then that attempt's logs, then one final status,
// against the real RabbitMQ (own vhost): (a) with the broker cut mid-run and (b) with the worker SIGKILLed
// mid-run and restarted. The direct Running and the outbox's logs go to two queues, which give no arrival
// order, so the publish order is read from the broker's firehose (trace_on), de-duplicated by body (an entry
// re-sent after a lost confirm is the same bytes). A log may precede a Running only of an earlier attempt
// (a redelivery after the cut or the kill runs again), or when its own attempt's Running never appears (the
// outage rule folded it into the final, which carries StartTime). Nothing is published after the final, there
// is exactly one, every attempt's step logs are step 0, 1, … without a gap and the final's attempt sent all.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { AsyncMessage } from 'rabbitmq-client';
import { defineJob, JobStatus } from '../../lib/index.ts';
import { createAmqpHarness, type AmqpHarness } from '../support/amqp-harness.ts';
import { eventually } from '../support/eventually.ts';
import { needs } from '../support/services.ts';
import { killAllWorkers, spawnWorker } from '../support/spawn-worker.ts';
import { createTcpProxy } from '../support/tcp-proxy.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const root = mkdtempSync(path.join(tmpdir(), 'running-order-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** One status or log as the broker accepted it. `at`: StartTime of a Running or final, Timestamp of a log. */
interface Published {
  readonly occurrence: string;
  readonly kind: 'running' | 'heartbeat' | 'log' | 'final';
  /** The worker process: a status's InstanceId, a log's WorkerId (the .NET SDK puts the instance id there). */
  readonly instance: string;
  readonly at: number;
  /** The log's message, or `Status n`. */
  readonly text: string;
}

const STEP = /^step (\d+)$/;
const clock = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(11, 23) : 'no time');
const label = (e: Published) =>
  e.kind === 'log' ? `log "${e.text}" ${clock(e.at)}` : e.kind === 'final' ? `final ${e.text} (started ${clock(e.at)})` : e.kind === 'running' ? `Running (started ${clock(e.at)})` : 'job heartbeat';

/** The latest attempt start (a Running's or the final's StartTime) of the log's worker process at or before the log. */
function startOf(starts: readonly Published[], log: Published): Published | undefined {
  let latest: Published | undefined;
  for (const s of starts) if (s.instance === log.instance && s.at <= log.at && (latest === undefined || s.at > latest.at)) latest = s;
  return latest;
}

/**
 * What breaks the order in one occurrence's de-duplicated publish sequence (empty: none). A log belongs to
 * the attempt of its process that started last at or before it (attempts of one process never overlap);
 * `steps`: how many step logs the successful attempt writes.
 */
function orderProblems(seq: readonly Published[], steps: number): string[] {
  const problems: string[] = [];
  const at = (i: number) => `#${i + 1} ${label(seq[i]!)}`;
  const finalIndex = seq.findIndex((e) => e.kind === 'final');
  const finals = seq.filter((e) => e.kind === 'final').length;
  if (finals !== 1) problems.push(`${finals} final statuses, expected exactly one`);
  for (let i = finalIndex + 1; finalIndex >= 0 && i < seq.length; i++) if (seq[i]!.kind !== 'final') problems.push(`${at(i)} published after the final`);
  const final = seq[finalIndex];
  if (final !== undefined && !Number.isFinite(final.at)) problems.push('the final carries no StartTime');
  const runnings = seq.flatMap((e, i) => (e.kind === 'running' ? [{ e, i }] : []));
  const starts = [...runnings.map((r) => r.e), ...(final === undefined ? [] : [final])];
  const stepsByAttempt = new Map<string, number[]>();
  const attemptKey = (instance: string, start: Published | undefined) => `${instance} started ${start?.at ?? '(unknown)'}`;
  seq.forEach((e, i) => {
    if (e.kind !== 'log') return;
    const start = startOf(starts, e);
    const running = runnings.find((r) => r.e.instance === e.instance && r.e.at === start?.at);
    if (running !== undefined && running.i > i) problems.push(`${at(i)} published before its attempt's Running ${at(running.i)}`);
    const step = STEP.exec(e.text);
    if (step === null) return;
    const key = attemptKey(e.instance, start);
    stepsByAttempt.set(key, [...(stepsByAttempt.get(key) ?? []), Number(step[1])]);
  });
  for (const [key, numbers] of stepsByAttempt) if (numbers.some((n, k) => n !== k)) problems.push(`attempt ${key}: steps ${numbers.join(', ')} are not 0, 1, … in order`);
  if (final !== undefined) {
    const sent = stepsByAttempt.get(attemptKey(final.instance, final))?.length ?? 0;
    if (sent !== steps) problems.push(`the final's attempt published ${sent} of ${steps} step logs`);
  }
  return problems;
}

/** The statuses and logs a firehose copy carries (a log batch may hold several). */
function toPublished(msg: AsyncMessage, queues: { statuses: string; logs: string }): Published[] {
  const queue = (msg.headers?.['routing_keys'] as unknown[] | undefined)?.map(String)[0];
  if (queue !== queues.statuses && queue !== queues.logs) return [];
  const message = (Buffer.isBuffer(msg.body) ? JSON.parse(msg.body.toString('utf8')) : msg.body) as Record<string, unknown>;
  if (queue === queues.statuses) {
    const status = Number(message['Status']);
    const kind = status !== JobStatus.Running ? 'final' : message['StartTime'] === null ? 'heartbeat' : 'running';
    return [{ occurrence: String(message['OccurrenceId']), kind, instance: String(message['InstanceId']), at: Date.parse(String(message['StartTime'])), text: `Status ${status}` }];
  }
  const logs = (Array.isArray(message['Logs']) ? message['Logs'] : [message]) as { OccurrenceId?: string; WorkerId?: string; Log?: { Message?: string; Timestamp?: string } }[];
  return logs.map((l) => ({ occurrence: String(l.OccurrenceId), kind: 'log', instance: String(l.WorkerId), at: Date.parse(String(l.Log?.Timestamp)), text: String(l.Log?.Message) }));
}

/** The firehose of the harness's vhost: every status and log the broker accepted, in publish order, each body once. */
async function openFirehose(h: AmqpHarness) {
  execFileSync('rabbitmqctl', ['-q', 'trace_on', '-p', h.workerId]); // the harness names its vhost after its WorkerId
  const events: Published[] = [];
  const bodies = new Set<string>();
  let copies = 0;
  const consumer = h.admin.createConsumer(
    { queue: `${h.workerId}.firehose`, queueOptions: { exclusive: true }, queueBindings: [{ exchange: 'amq.rabbitmq.trace', routingKey: 'publish.#' }] },
    (msg) => {
      copies++;
      const body = Buffer.isBuffer(msg.body) ? msg.body.toString('utf8') : JSON.stringify(msg.body);
      if (bodies.has(body)) return;
      bodies.add(body);
      events.push(...toPublished(msg, h.scheduler.names));
    },
  );
  consumer.on('error', () => undefined);
  await new Promise((resolve) => consumer.once('ready', resolve));
  return {
    events,
    /** The occurrence's sequence. */
    of: (occurrence: string) => events.filter((e) => e.occurrence === occurrence),
    /** Resolves once no firehose copy came for 300 ms (after the workers stopped: everything is in). */
    async settled() {
      for (let seen = -1; seen !== copies; ) {
        seen = copies;
        await sleep(300);
      }
    },
    clear() {
      events.length = 0;
      bodies.clear();
    },
    async close() {
      await consumer.close();
      execFileSync('rabbitmqctl', ['-q', 'trace_off', '-p', h.workerId]);
    },
  };
}

describe('the order checker', () => {
  const running = (at: number, instance = 'A'): Published => ({ occurrence: 'o', kind: 'running', instance, at, text: 'Status 1' });
  const log = (at: number, text: string, instance = 'A'): Published => ({ occurrence: 'o', kind: 'log', instance, at, text });
  const final = (at: number, instance = 'A'): Published => ({ occurrence: 'o', kind: 'final', instance, at, text: 'Status 2' });

  it('accepts Running → logs → final, a retry (a new Running after earlier logs), a folded Running and a restarted process', () => {
    assert.deepEqual(orderProblems([running(5), log(10, 'step 0'), final(5)], 1), []);
    assert.deepEqual(orderProblems([running(5), log(10, 'step 0'), running(20), log(25, 'step 0'), final(20)], 1), []);
    assert.deepEqual(orderProblems([log(10, 'step 0'), log(11, 'step 1'), final(5)], 2), [], 'its Running was coalesced into the final');
    const restarted = [running(5, 'A'), log(6, 'step 0', 'A'), running(7, 'B'), log(8, 'step 1', 'A'), log(9, 'step 0', 'B'), final(7, 'B')];
    assert.deepEqual(orderProblems(restarted, 1), [], 'the killed process backlog after the new Running');
  });

  it('rejects a log before its Running, anything after the final, two finals, a missing or out-of-order step', () => {
    assert.match(orderProblems([log(10, 'step 0'), running(5), final(5)], 1).join(), /#1 log "step 0" .* published before its attempt's Running #2/);
    assert.match(orderProblems([running(5), log(10, 'step 0'), running(20), final(20), log(25, 'step 0')], 1).join(), /published after the final/);
    assert.match(orderProblems([running(5), log(10, 'step 0'), running(20), final(20), running(20)], 0).join(), /#5 Running .* published after the final/);
    assert.match(orderProblems([running(5), log(10, 'step 0'), final(5), final(5)], 1).join(), /2 final statuses/);
    assert.match(orderProblems([running(5), log(10, 'step 0'), log(11, 'step 2'), final(5)], 3).join(), /steps 0, 2 are not/);
    assert.match(orderProblems([running(5), log(10, 'step 1'), log(11, 'step 0'), final(5)], 2).join(), /steps 1, 0 are not/);
    assert.match(orderProblems([running(5), log(10, 'step 0'), running(20), final(20)], 1).join(), /published 0 of 1 step logs/);
    assert.match(orderProblems([running(5), log(10, 'step 0')], 1).join(), /0 final statuses/);
  });
});

describe('Running → logs → final in publish order, through a broker cut and a SIGKILL', { timeout: 60_000, ...needs('rabbitmq') }, () => {
  let h: AmqpHarness;
  let firehose: Awaited<ReturnType<typeof openFirehose>>;
  before(async () => {
    h = await createAmqpHarness('running-order');
    firehose = await openFirehose(h);
  });
  afterEach(async () => {
    killAllWorkers();
    await h.closeWorkers();
    firehose.clear();
  });
  after(async () => {
    killAllWorkers();
    await firehose.close();
    await h.close();
  });

  /** Dispatches `count` StepJobs at once; their occurrence ids. */
  async function dispatchSteps(count: number, workerId: string): Promise<string[]> {
    const dispatched = await Promise.all(Array.from({ length: count }, () => h.scheduler.dispatch({ jobName: 'StepJob', workerId })));
    return dispatched.map((d) => d.occurrenceId);
  }

  /** Waits for each occurrence's final (Completed) and its attempt's steps in the firehose; returns the sequences. */
  async function completed(ids: readonly string[], steps: number, stop: () => Promise<unknown>) {
    for (const id of ids) assert.equal((await h.scheduler.waitForFinalStatus(id, { timeoutMs: 20_000 })).body!.Status, JobStatus.Completed);
    // In: the final and every step log of its attempt (whether anything came out of order is judged below).
    const done = (id: string) => orderProblems(firehose.of(id), steps).every((p) => !/ final statuses|of \d+ step logs$/.test(p));
    await h.scheduler.waitUntil(() => ids.every(done), { what: 'every final and its step logs in the firehose', timeoutMs: 15_000 });
    await stop(); // everything the worker still had is published now: a late copy would show
    await firehose.settled();
    const sequences = new Map(ids.map((id) => [id, firehose.of(id)]));
    for (const [id, seq] of sequences) assert.deepEqual(orderProblems(seq, steps), [], `occurrence ${id}: ${seq.map(label).join(' → ')}`);
    return sequences;
  }

  it('(a) a broker cut mid-run: per occurrence Running, then logs, then one final; nothing lost', async (t) => {
    const stepJob = defineJob({
      name: 'StepJob',
      maxParallelJobs: 10,
      async run(_d, ctx) {
        for (let i = 0; i < 5; i++) {
          ctx.log.info(`step ${i}`, { step: i });
          await sleep(40);
        }
        return 'stepped';
      },
    });
    const worker = await h.startWorker({ jobs: [stepJob], outbox: { localStoragePath: path.join(root, 'cut'), syncIntervalSeconds: 1 } });
    const ids = await dispatchSteps(30, h.workerId);
    // Cut once the broker has taken a first log line (not after a fixed time: on a loaded machine the first jobs may
    // not have started yet): the jobs then running still have steps to log, on the other side of the cut.
    await eventually(() => firehose.events.some((e) => e.kind === 'log'), 'a first log line through the broker', 15_000);
    h.proxy.cut();
    await sleep(800);
    assert.ok(worker.outbox!.health().pending > 0, 'statuses and logs wait in the outbox during the cut');
    const restoredAt = firehose.events.length; // the worker published nothing during the cut: before it, or after
    h.proxy.restore();
    const sequences = await completed(ids, 5, () => worker.close({ graceMs: 1000 }));
    const indexOf = new Map(firehose.events.map((e, i) => [e, i]));
    const straddling = ids.filter((id) => {
      const positions = sequences.get(id)!.map((e) => indexOf.get(e)!);
      return positions.some((p) => p < restoredAt) && positions.some((p) => p >= restoredAt);
    });
    assert.ok(straddling.length > 0, 'the cut came mid-run: some occurrences published before and after it');
    const withRunning = ids.filter((id) => sequences.get(id)!.some((e) => e.kind === 'running'));
    assert.ok(withRunning.length >= ids.length / 2, `a Running for most occurrences (${withRunning.length} of ${ids.length}); only a stale one may be folded`);
    // The example: one whose logs went out on both sides of the cut, if any; with the restore marked.
    const after = (e: Published) => indexOf.get(e)! >= restoredAt;
    const example = straddling.find((id) => sequences.get(id)!.some((e) => e.kind === 'log' && after(e))) ?? straddling[0]!;
    const seq = sequences.get(example)!;
    const shown = seq.map(label);
    shown.splice(seq.findIndex(after), 0, '‖ cut … restore ‖');
    t.diagnostic(`${straddling.length} of ${ids.length} occurrences straddled the cut, ${withRunning.length} published a Running; e.g. ${example}: ${shown.join(' → ')}`);
    const folded = ids.find((id) => !withRunning.includes(id));
    if (folded !== undefined) t.diagnostic(`a Running folded into its final: ${sequences.get(folded)!.map(label).join(' → ')}`);
    // The checker rejects this very sequence with its Running published after its first log.
    const running = seq.findIndex((e) => e.kind === 'running');
    const firstLog = seq.findIndex((e) => e.kind === 'log');
    if (running >= 0 && running < firstLog) {
      const swapped = seq.filter((_e, i) => i !== running);
      swapped.splice(firstLog, 0, seq[running]!);
      assert.match(orderProblems(swapped, 5).join(), /published before its attempt's Running/);
    }
  });

  it('(b) a worker SIGKILLed mid-run and restarted: the killed attempt, then the new one, then one final', async (t) => {
    const proxy = await createTcpProxy({ targetPort: 5672 });
    const config = { url: `amqp://guest:guest@127.0.0.1:${proxy.port}/${h.workerId}`, workerId: `${h.workerId}-child`, outboxDir: path.join(root, 'sigkill'), steps: 20, stepMs: 40 };
    try {
      const first = await spawnWorker(config);
      const ids = await dispatchSteps(8, config.workerId); // each well inside its 800 ms when the kill comes
      await h.scheduler.waitUntil(() => ids.every((id) => firehose.of(id).some((e) => e.kind === 'running')), { what: 'every job to start' });
      proxy.cut(); // from now on what the first worker writes stays in its outbox
      await sleep(300);
      first.child.kill('SIGKILL');
      await first.exited;
      proxy.restore();
      const restartedAt = firehose.events.length;
      const second = await spawnWorker(config);
      const sequences = await completed(ids, 20, async () => {
        second.child.kill('SIGTERM');
        await second.exited;
      });
      for (const [id, seq] of sequences) {
        assert.equal(seq.find((e) => e.kind === 'final')!.instance, second.instanceId, `${id} ran again in the restarted worker`);
        assert.ok(seq.some((e) => e.kind === 'log' && e.instance === first.instanceId), `${id} has logs of the killed attempt`);
      }
      const backlog = firehose.events.slice(restartedAt).filter((e) => e.kind === 'log' && e.instance === first.instanceId).length;
      assert.ok(backlog > 0, "the killed worker's outbox was published after the restart");
      const example = sequences.get(ids[0]!)!;
      t.diagnostic(`${backlog} logs of the killed worker published after the restart; e.g. ${ids[0]}: ${example.map((e) => `${label(e)}@${e.instance === first.instanceId ? 'killed' : 'restarted'}`).join(' → ')}`);
    } finally {
      await proxy.close();
    }
  });
});
