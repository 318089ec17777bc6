// Specs of compose(): the onion order, derived contexts, re-entrant `next` and short-circuits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { err, ok } from 'neverthrow';
import { defineJob, type ExecutionContext, type Middleware, type Outcome } from '../../lib/index.ts';
import { compose, type Terminal } from '../../lib/core/engine/compose.ts';
import { outcomeOfKind, makeContext, resultOf } from '../support/pipeline-harness.ts';

const job = defineJob({ name: 'ComposeJob', run: () => 'done' });
const completed = (result: unknown): Outcome => ok({ kind: 'completed', result });

/** A middleware that records when it enters and leaves. */
function recording(name: string, events: string[]): Middleware {
  return async (ctx, next) => {
    events.push(`${name}:in`);
    const outcome = await next();
    events.push(`${name}:out`);
    return outcome;
  };
}

describe('compose()', () => {
  it('runs the first middleware outermost and unwinds in reverse order', async () => {
    const events: string[] = [];
    const terminal: Terminal = async () => {
      events.push('terminal');
      return completed('x');
    };
    const pipeline = compose([recording('a', events), recording('b', events), recording('c', events)], terminal);
    const outcome = await pipeline(makeContext(job).ctx);
    assert.equal(resultOf(outcome), 'x');
    assert.deepEqual(events, ['a:in', 'b:in', 'c:in', 'terminal', 'c:out', 'b:out', 'a:out']);
  });

  it('with no middleware calls the terminal directly with the given context', async () => {
    const { ctx } = makeContext(job);
    const seen: ExecutionContext[] = [];
    const pipeline = compose([], async (c) => {
      seen.push(c);
      return completed(1);
    });
    assert.equal(resultOf(await pipeline(ctx)), 1);
    assert.equal(seen.length, 1);
    assert.equal(seen[0], ctx);
  });

  it('passes a context given to next(ctx) to every inner layer and the terminal', async () => {
    const { ctx } = makeContext(job);
    const derivedSignal = new AbortController().signal;
    const seenByInner: ExecutionContext[] = [];
    const seenByTerminal: ExecutionContext[] = [];
    const outer: Middleware = (c, next) => next({ ...c, retryCount: 7, signal: derivedSignal });
    // The middle layer calls next() without an argument: it must pass on the context it received.
    const middle: Middleware = (_c, next) => next();
    const inner: Middleware = (c, next) => {
      seenByInner.push(c);
      return next();
    };
    const pipeline = compose([outer, middle, inner], async (c) => {
      seenByTerminal.push(c);
      return completed(c.retryCount);
    });
    const outcome = await pipeline(ctx);
    assert.equal(resultOf(outcome), 7);
    assert.equal(seenByInner[0]?.retryCount, 7);
    assert.equal(seenByInner[0]?.signal, derivedSignal);
    assert.equal(seenByTerminal[0]?.retryCount, 7);
    assert.equal(seenByTerminal[0]?.signal, derivedSignal);
    // The outer context itself is untouched (contexts are read-only; layers pass copies).
    assert.equal(ctx.retryCount, 0);
    assert.notEqual(ctx.signal, derivedSignal);
  });

  it('lets a middleware call next more than once, each call running the inner layers again', async () => {
    const events: string[] = [];
    const seenRetryCounts: number[] = [];
    const retrying: Middleware = async (ctx, next) => {
      let outcome = await next();
      for (let attempt = 1; attempt <= 2 && outcome.isErr(); attempt++) {
        outcome = await next({ ...ctx, retryCount: attempt });
      }
      return outcome;
    };
    const pipeline = compose([retrying, recording('inner', events)], async (c) => {
      seenRetryCounts.push(c.retryCount);
      events.push('terminal');
      return c.retryCount < 2 ? err({ kind: 'failed', error: new Error('flaky'), permanent: false }) : completed('third time');
    });
    const outcome = await pipeline(makeContext(job).ctx);
    assert.equal(resultOf(outcome), 'third time');
    assert.deepEqual(seenRetryCounts, [0, 1, 2]);
    assert.deepEqual(events, ['inner:in', 'terminal', 'inner:out', 'inner:in', 'terminal', 'inner:out', 'inner:in', 'terminal', 'inner:out']);
  });

  it('can be called many times: the composed pipeline holds no per-call state', async () => {
    let calls = 0;
    const pipeline = compose([(c, next) => next({ ...c, retryCount: c.retryCount + 1 })], async (c) => {
      calls++;
      return completed(c.retryCount);
    });
    assert.equal(resultOf(await pipeline(makeContext(job).ctx)), 1);
    assert.equal(resultOf(await pipeline(makeContext(job, { envelope: { retryCount: 4 } }).ctx)), 5);
    assert.equal(calls, 2);
  });

  it('short-circuits when a middleware returns without calling next', async () => {
    const events: string[] = [];
    let terminalCalls = 0;
    const gate: Middleware = async () => {
      events.push('gate');
      return ok({ kind: 'skipped', reason: 'closed' });
    };
    const pipeline = compose([recording('outer', events), gate, recording('inner', events)], async () => {
      terminalCalls++;
      return completed('never');
    });
    const outcome = await pipeline(makeContext(job).ctx);
    assert.equal(outcomeOfKind(outcome, 'skipped').reason, 'closed');
    assert.equal(terminalCalls, 0);
    // Outer layers still see the short-circuited outcome; inner layers never run.
    assert.deepEqual(events, ['outer:in', 'gate', 'outer:out']);
  });

  it('propagates a rejection from an inner layer to the outer ones, which may turn it into an outcome', async () => {
    const boom = new Error('middleware bug');
    const guard: Middleware = async (_ctx, next) => {
      try {
        return await next();
      } catch (error) {
        return err({ kind: 'failed', error, permanent: false });
      }
    };
    const pipeline = compose([guard], async () => {
      throw boom;
    });
    const failure = outcomeOfKind(await pipeline(makeContext(job).ctx), 'failed');
    assert.equal(failure.error, boom);
    await assert.rejects(compose([], async () => Promise.reject(boom))(makeContext(job).ctx), boom);
  });
});
