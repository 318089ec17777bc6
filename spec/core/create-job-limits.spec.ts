import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineJob } from '../../lib/index.ts';
import { createJobLimits } from '../../lib/core/engine/create-job-limits.ts';
import { createCancellationRegistry } from '../../lib/core/engine/create-cancellation-registry.ts';
import { createMemorySink } from '../../lib/transports/memory/create-memory-sink.ts';
import type { LogRecord, SharedRateLimits, SharedSlots } from '../../lib/core/vocabulary/ports.ts';
import { makeEnvelope } from '../support/envelopes.ts';
import { captureLogger, silentLogger } from '../support/loggers.ts';

const job = defineJob({ name: 'CallApiJob', run: () => undefined });
const open = new AbortController().signal;
const logsOf = (sink: ReturnType<typeof createMemorySink>, occurrenceId: string) =>
  sink.records.filter((r): r is LogRecord => r.type === 'log' && r.occurrenceId === occurrenceId);

describe('createJobLimits', () => {
  it('starts the first job at once; the next waits for its turn, says so once in its dashboard log, and is counted while it waits', async () => {
    const sink = createMemorySink();
    const told: string[] = [];
    const limits = createJobLimits({
      sink,
      logger: silentLogger,
      telemetry: { limitWaiting: (name, delta) => told.push(`${name} ${delta}`), limitWaited: (name, s) => told.push(`${name} waited ${s > 0.05 ? 'long' : 'short'}`) },
    });
    const limit = { count: 10, periodSeconds: 1 };
    const first = makeEnvelope('CallApiJob');
    const second = makeEnvelope('CallApiJob');
    assert.equal((await limits.turn(job, { rateLimit: limit }, first, open)).kind, 'start');
    const began = performance.now();
    const turn = limits.turn(job, { rateLimit: limit }, second, open);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(limits.waiting.get('CallApiJob'), 1);
    assert.ok(limits.busySince.has('CallApiJob'));
    assert.equal((await turn).kind, 'start');
    // Its turn is 100 ms after the first job's, whose reservation came just before `began`.
    assert.ok(performance.now() - began >= 50, `waited ${performance.now() - began} ms for a turn 100 ms after the first`);
    assert.equal(limits.waiting.has('CallApiJob'), false);
    assert.equal(logsOf(sink, first.occurrenceId).length, 0);
    const lines = logsOf(sink, second.occurrenceId);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!.message, /^Waiting \d+ ms for its turn under the rate limit of 10 per 1 s$/);
    assert.deepEqual(told, ['CallApiJob 1', 'CallApiJob -1', 'CallApiJob waited long']);
  });

  it('ends the wait on a cancel by occurrence id, and on the transport closing', async () => {
    const registry = createCancellationRegistry();
    const limits = createJobLimits({ sink: createMemorySink(), logger: silentLogger, registry });
    const limit = { count: 1, periodSeconds: 60 };
    await limits.turn(job, { rateLimit: limit }, makeEnvelope('CallApiJob'), open);
    const waiting = makeEnvelope('CallApiJob');
    const turn = limits.turn(job, { rateLimit: limit }, waiting, open);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(registry.cancel(waiting.occurrenceId, 'Cancelled from the dashboard'), true);
    assert.deepEqual(await turn, { kind: 'cancelled', reason: 'Cancelled from the dashboard' });
    // Unregistered once its wait ended: a later cancel does not find it.
    assert.equal(registry.cancel(waiting.occurrenceId, 'again'), false);
    const closing = new AbortController();
    const next = limits.turn(job, { rateLimit: limit }, makeEnvelope('CallApiJob'), closing.signal);
    closing.abort();
    assert.deepEqual(await next, { kind: 'closing' });
    assert.equal(limits.waiting.size, 0);
  });

  it('gives each value of the key its own limit, by a dot path or a function of the data', async () => {
    const limits = createJobLimits({ sink: createMemorySink(), logger: silentLogger });
    for (const key of ['customer.id', (data: { customer: { id: string } }) => data.customer.id] as const) {
      const limit = { count: 1, periodSeconds: 60, key: key as string };
      const of = (id: string) => makeEnvelope('CallApiJob', { jobData: JSON.stringify({ customer: { id } }) });
      const envelopeOf = (id: string) => ({ ...of(id), jobName: `CallApiJob-${typeof key}` });
      const named = defineJob({ name: `CallApiJob-${typeof key}`, run: () => undefined });
      assert.equal((await limits.turn(named, { rateLimit: limit }, envelopeOf('a'), open)).kind, 'start');
      assert.equal((await limits.turn(named, { rateLimit: limit }, envelopeOf('b'), open)).kind, 'start', `another key starts at once (${typeof key})`);
      const closing = new AbortController();
      const same = limits.turn(named, { rateLimit: limit }, envelopeOf('a'), closing.signal);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(limits.waiting.get(named.name), 1, `the same key waits (${typeof key})`);
      closing.abort();
      await same;
    }
  });

  it('uses the shared limits while they answer, and falls back to the process\'s own with one warning while they do not', async () => {
    const logger = captureLogger();
    let answer: number | undefined;
    const asked: string[] = [];
    const shared: SharedRateLimits = {
      reserve: (bucket) => {
        asked.push(bucket);
        return Promise.resolve(answer);
      },
    };
    const limits = createJobLimits({ sink: createMemorySink(), logger, shared });
    const limit = { count: 1, periodSeconds: 60, scope: 'shared' as const };
    answer = 0;
    assert.equal((await limits.turn(job, { rateLimit: limit }, makeEnvelope('CallApiJob'), open)).kind, 'start');
    assert.equal((await limits.turn(job, { rateLimit: limit }, makeEnvelope('CallApiJob'), open)).kind, 'start', 'Redis said start');
    answer = undefined;
    assert.equal((await limits.turn(job, { rateLimit: limit }, makeEnvelope('CallApiJob'), open)).kind, 'start', 'the local limiter\'s first turn');
    const closing = new AbortController();
    const local = limits.turn(job, { rateLimit: limit }, makeEnvelope('CallApiJob'), closing.signal);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(limits.waiting.get('CallApiJob'), 1, 'the local limiter holds its second turn');
    closing.abort();
    await local;
    assert.equal(logger.messages('warn').filter((m) => m.includes('Redis did not answer')).length, 1);
    answer = 0;
    await limits.turn(job, { rateLimit: limit }, makeEnvelope('CallApiJob'), open);
    assert.equal(logger.messages('info').filter((m) => m.includes('Redis answers again')).length, 1);
    assert.deepEqual(asked, Array(5).fill('CallApiJob'));
    // A process-scoped limit never asks Redis.
    const other = defineJob({ name: 'OtherJob', run: () => undefined });
    assert.equal((await limits.turn(other, { rateLimit: { count: 1, periodSeconds: 60 } }, makeEnvelope('OtherJob'), open)).kind, 'start');
    assert.equal(asked.length, 5);
  });

  it('with a cap across processes, waits for a slot (said once), holds it until release, and gives up on a cancel or a close', async () => {
    const sink = createMemorySink();
    const registry = createCancellationRegistry();
    let free = 0;
    let asked = 0;
    const slots: SharedSlots = {
      acquire: () => {
        asked++;
        if (free === 0) return Promise.resolve(false);
        free--;
        return Promise.resolve({ release: () => void free++ });
      },
    };
    const limits = createJobLimits({ sink, logger: silentLogger, registry, slots });
    const envelope = makeEnvelope('CallApiJob');
    const turn = limits.turn(job, { maxParallelJobsGlobal: 1 }, envelope, open);
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.ok(asked >= 3, `asked ${asked} times while every slot was held`);
    assert.equal(limits.waiting.get('CallApiJob'), 1);
    free = 1;
    const started = await turn;
    assert.equal(started.kind, 'start');
    assert.equal(free, 0, 'the slot is held while the job runs');
    if (started.kind === 'start') started.release();
    assert.equal(free, 1, 'and given back when it ends');
    const lines = logsOf(sink, envelope.occurrenceId);
    assert.deepEqual(lines.map((l) => l.message), ['Waiting for a slot: at most 1 of CallApiJob run at once across this worker\'s processes (MaxParallelJobsGlobal)']);
    free = 0;
    const cancelled = makeEnvelope('CallApiJob');
    const waitingOne = limits.turn(job, { maxParallelJobsGlobal: 1 }, cancelled, open);
    await new Promise((resolve) => setTimeout(resolve, 50));
    registry.cancel(cancelled.occurrenceId, 'stop');
    assert.deepEqual(await waitingOne, { kind: 'cancelled', reason: 'stop' });
    const closing = new AbortController();
    const closed = limits.turn(job, { maxParallelJobsGlobal: 1 }, makeEnvelope('CallApiJob'), closing.signal);
    closing.abort();
    assert.deepEqual(await closed, { kind: 'closing' });
  });

  it('keeps the cap on its own while the shared slots do not answer', async () => {
    const logger = captureLogger();
    const limits = createJobLimits({ sink: createMemorySink(), logger, slots: { acquire: () => Promise.resolve(undefined) } });
    const first = await limits.turn(job, { maxParallelJobsGlobal: 2 }, makeEnvelope('CallApiJob'), open);
    const second = await limits.turn(job, { maxParallelJobsGlobal: 2 }, makeEnvelope('CallApiJob'), open);
    assert.equal(first.kind, 'start');
    assert.equal(second.kind, 'start');
    const closing = new AbortController();
    const third = limits.turn(job, { maxParallelJobsGlobal: 2 }, makeEnvelope('CallApiJob'), closing.signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(limits.waiting.get('CallApiJob'), 1, 'the third waits for one of the process\'s two');
    if (first.kind === 'start') first.release();
    assert.equal((await third).kind, 'start');
    assert.equal(logger.messages('warn').filter((m) => m.includes('MaxParallelJobsGlobal of CallApiJob: Redis did not answer')).length, 1);
  });
});
