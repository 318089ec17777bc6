// Specs of tracing(): jobs driven through createExecutor, a memory sink and the default pipeline produce one
// CONSUMER span each (name, attributes, status per outcome), continue a W3C traceparent from the headers,
// make the span active inside the job, and pass through unchanged without the OpenTelemetry API.
import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ok } from 'neverthrow';
import { defaultMiddleware, defineJob, JobAbortError, JobStatus, PermanentJobError, type AnyJobDefinition, type JobEnvelope, type Middleware } from '../../lib/index.ts';
import { compose } from '../../lib/core/engine/compose.ts';
import { createExecutor } from '../../lib/core/engine/create-executor.ts';
import { createMemorySink } from '../../lib/transports/memory/create-memory-sink.ts';
import { tracing, tracingWith, TracingAttributes } from '../../lib/middleware/tracing.ts';
import { makeEnvelope } from '../support/envelopes.ts';
import { captureLogger } from '../support/loggers.ts';
import { advance, dateClock, makeContext, track } from '../support/pipeline-harness.ts';

// Without a context manager the API's context.with() is a no-op and no span is ever active.
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
after(() => {
  context.disable();
});

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('tracing-spec');
beforeEach(() => exporter.reset());

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`;

/** An executor over a memory sink: `first` layers, then the default pipeline (in-process retries). */
function setup(jobs: readonly AnyJobDefinition[], first: readonly Middleware[] = [tracing({ tracer })], use: readonly Middleware[] = []) {
  const sink = createMemorySink();
  const executor = createExecutor({ jobs, middleware: [...first, ...defaultMiddleware({ use })], sink, logger: captureLogger(), clock: dateClock });
  const run = (jobName: string, overrides: Partial<JobEnvelope> = {}) => executor.execute(makeEnvelope(jobName, overrides));
  return { sink, executor, run };
}

function onlySpan(): ReadableSpan {
  const spans = exporter.getFinishedSpans();
  assert.equal(spans.length, 1, 'one span per execution');
  return spans[0]!;
}

describe('tracing()', () => {
  it('records a completed execution: name, CONSUMER kind, attributes, UNSET status', async () => {
    const job = defineJob({ name: 'ReportJob', run: () => 'done' });
    const { sink, executor } = setup([job]);
    const envelope = makeEnvelope('ReportJob', { retryCount: 2 });
    const outcome = await executor.execute(envelope);
    assert.ok(outcome.isOk());
    const span = onlySpan();
    assert.equal(span.name, 'milvaion.job ReportJob');
    assert.equal(span.kind, SpanKind.CONSUMER);
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.attributes[TracingAttributes.jobName], 'ReportJob');
    assert.equal(span.attributes[TracingAttributes.jobId], envelope.jobId);
    assert.equal(span.attributes[TracingAttributes.occurrenceId], envelope.occurrenceId);
    assert.equal(span.attributes[TracingAttributes.correlationId], envelope.correlationId);
    assert.equal(span.attributes[TracingAttributes.retryCount], 2);
    assert.equal(span.attributes[TracingAttributes.outcome], 'completed');
    assert.equal(typeof span.attributes[TracingAttributes.durationMs], 'number');
    assert.ok((span.attributes[TracingAttributes.durationMs] as number) >= 0);
    assert.equal(span.parentSpanContext, undefined, 'a root span without a traceparent');
    assert.equal(sink.statuses().filter((s) => s.phase === 'final').length, 1);
  });

  it('marks a failed execution ERROR with the message and records the exception', async () => {
    const job = defineJob({
      name: 'BrokenJob',
      run: () => {
        throw new PermanentJobError('smtp refused');
      },
    });
    const { sink, run } = setup([job]);
    const outcome = await run('BrokenJob');
    assert.equal(outcome.isErr() && outcome.error.kind, 'failed');
    const span = onlySpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.status.message, 'smtp refused');
    assert.equal(span.attributes[TracingAttributes.outcome], 'failed');
    assert.equal(span.events.filter((e) => e.name === 'exception').length, 1);
    assert.equal(sink.statuses().at(-1)?.status, JobStatus.Failed);
  });

  it('marks a timed-out execution ERROR and measures its duration with the context clock', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const job = defineJob({ name: 'StuckJob', executionTimeoutSeconds: 3, maxRetries: 0, run: () => new Promise(() => {}) });
    const { run } = setup([job]);
    const running = track(run('StuckJob'));
    await advance(t.mock.timers, 3000, 100);
    assert.ok(running.settled);
    const outcome = await running.promise;
    assert.equal(outcome.isErr() && outcome.error.kind, 'timed-out');
    const span = onlySpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.match(span.status.message ?? '', /Timed out after 3000 ms/);
    assert.equal(span.attributes[TracingAttributes.outcome], 'timed-out');
    assert.equal(span.attributes[TracingAttributes.durationMs], 3000);
  });

  it('records a cancelled execution with its outcome and an UNSET status', async () => {
    const job = defineJob({
      name: 'LongJob',
      run: (_d, ctx) => {
        ctx.signal.throwIfAborted();
      },
    });
    const cancelFirst: Middleware = async function cancelFirst(ctx, next) {
      ctx.abort.abort(new JobAbortError('user', 'by Ann'));
      return next();
    };
    const { run } = setup([job], [tracing({ tracer }), cancelFirst]);
    const outcome = await run('LongJob');
    assert.equal(outcome.isErr() && outcome.error.kind, 'cancelled');
    const span = onlySpan();
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.attributes[TracingAttributes.outcome], 'cancelled');
  });

  it('continues a W3C traceparent and tracestate from the headers, as a string or a Buffer', async () => {
    const job = defineJob({ name: 'TracedJob', run: () => undefined });
    const { run } = setup([job]);
    await run('TracedJob', { headers: { traceparent: TRACEPARENT, tracestate: 'vendor=abc' } });
    await run('TracedJob', { headers: { traceparent: Buffer.from(TRACEPARENT), tracestate: Buffer.from('vendor=abc') } });
    const spans = exporter.getFinishedSpans();
    assert.equal(spans.length, 2);
    for (const span of spans) {
      assert.equal(span.spanContext().traceId, TRACE_ID);
      assert.equal(span.parentSpanContext?.spanId, PARENT_SPAN_ID);
      assert.equal(span.parentSpanContext?.isRemote, true);
      assert.equal(span.spanContext().traceState?.get('vendor'), 'abc');
      assert.notEqual(span.spanContext().spanId, PARENT_SPAN_ID);
    }
  });

  it('starts a new trace when the traceparent is malformed or all zeros', async () => {
    const job = defineJob({ name: 'OddJob', run: () => undefined });
    const { run } = setup([job]);
    for (const traceparent of ['garbage', `00-${'0'.repeat(32)}-${PARENT_SPAN_ID}-01`, `ff-${TRACE_ID}-${PARENT_SPAN_ID}-01`, 42]) {
      const outcome = await run('OddJob', { headers: { traceparent } });
      assert.ok(outcome.isOk());
    }
    const spans = exporter.getFinishedSpans();
    assert.equal(spans.length, 4);
    for (const span of spans) {
      assert.equal(span.parentSpanContext, undefined);
      assert.notEqual(span.spanContext().traceId, TRACE_ID);
    }
  });

  it('makes the span active inside the job and in later middleware', async () => {
    let inJob: Span | undefined;
    let inMiddleware: Span | undefined;
    const job = defineJob({
      name: 'ActiveJob',
      run: async () => {
        await new Promise((resolve) => setImmediate(resolve));
        inJob = trace.getActiveSpan();
      },
    });
    const peek: Middleware = async function peek(_ctx, next) {
      inMiddleware = trace.getActiveSpan();
      return next();
    };
    const { run } = setup([job], [tracing({ tracer })], [peek]);
    await run('ActiveJob', { headers: { traceparent: TRACEPARENT } });
    const span = onlySpan();
    assert.equal(inJob?.spanContext().spanId, span.spanContext().spanId);
    assert.equal(inMiddleware?.spanContext().spanId, span.spanContext().spanId);
    assert.equal(trace.getActiveSpan(), undefined, 'the span is active only during the execution');
  });

  it('ends the span with ERROR and rethrows when an inner layer throws', async () => {
    const job = defineJob({ name: 'AnyJob', run: () => undefined });
    const bug: Middleware = async function bug() {
      throw new Error('middleware bug');
    };
    const pipeline = compose([tracing({ tracer }), bug], async () => ok({ kind: 'completed', result: undefined }));
    await assert.rejects(pipeline(makeContext(job).ctx), /middleware bug/);
    const span = onlySpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.status.message, 'middleware bug');
  });

  it('passes through unchanged when the OpenTelemetry API is absent', async () => {
    let active: Span | undefined;
    const job = defineJob({
      name: 'PlainJob',
      run: () => {
        active = trace.getActiveSpan();
        return 7;
      },
    });
    const passThrough = tracingWith(undefined, { tracer });
    assert.equal(passThrough.name, 'tracing');
    const { sink, run } = setup([job], [passThrough]);
    const outcome = await run('PlainJob', { headers: { traceparent: TRACEPARENT } });
    assert.ok(outcome.isOk() && outcome.value.kind === 'completed' && outcome.value.result === 7);
    assert.equal(active, undefined);
    assert.equal(exporter.getFinishedSpans().length, 0);
    assert.equal(sink.statuses().at(-1)?.status, JobStatus.Completed);
  });

  it('falls back to the global tracer provider when no tracer is given (no-op without one)', async () => {
    const job = defineJob({ name: 'GlobalJob', run: () => 'ok' });
    const { run } = setup([job], [tracing()]);
    const outcome = await run('GlobalJob', { headers: { traceparent: TRACEPARENT } });
    assert.ok(outcome.isOk());
    assert.equal(exporter.getFinishedSpans().length, 0, 'no provider registered: spans are non-recording');
  });

  it('is a named function and rejects invalid options with a TypeError naming the key', () => {
    assert.equal(tracing({ tracer }).name, 'tracing');
    for (const [options, key] of [
      [{ tracer: 42 }, 'tracer'],
      [{ tracerName: '' }, 'tracerName'],
      [{ extra: true }, 'extra'],
    ] as const) {
      assert.throws(
        () => tracing(options as unknown as Parameters<typeof tracing>[0]),
        (error: unknown) => error instanceof TypeError && error.message.includes('tracing') && error.message.includes(key),
        key,
      );
    }
  });
});
