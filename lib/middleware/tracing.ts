/**
 * tracing(): one OpenTelemetry CONSUMER span per execution, continuing a W3C `traceparent` from the message
 * headers. `@opentelemetry/api` is an optional peer: it is loaded only when tracing() is called, and without it
 * the middleware passes every execution through unchanged.
 * @module milvaion-worker/tracing
 */
import { createRequire } from 'node:module';
import * as v from 'valibot';
import type * as OtelApi from '@opentelemetry/api';
import type { Context, Span, TextMapGetter, Tracer } from '@opentelemetry/api';
import { parseOptions } from '../core/util/parse-options.js';
import type { ExecutionContext, Middleware } from '../core/vocabulary/types.js';
import type { Outcome } from '../core/vocabulary/outcome.js';
import { toVerdict } from '../core/engine/to-verdict.js';
import type { Verdict } from '../core/engine/verdict.js';
import { errorMessage } from '../core/util/error-message.js';

/** The `@opentelemetry/api` module, as tracingWith() takes it. */
export type OpenTelemetryApi = typeof OtelApi;

/** The tracer name used when no tracer is given. */
export const DEFAULT_TRACER_NAME = 'milvaion-worker';

/** Span attribute keys set by tracing(). */
export const TracingAttributes = {
  jobName: 'milvaion.job.name',
  jobId: 'milvaion.job.id',
  occurrenceId: 'milvaion.occurrence.id',
  correlationId: 'milvaion.correlation.id',
  retryCount: 'milvaion.retry_count',
  outcome: 'milvaion.outcome',
  durationMs: 'milvaion.duration_ms',
} as const;

/** Options of {@link tracing}. */
export const TracingOptions = v.strictObject({
  /** Defaults to `trace.getTracer(tracerName)` on the global tracer provider. */
  tracer: v.optional(v.custom<Tracer>((x) => typeof x === 'object' && x !== null && typeof (x as Record<string, unknown>)['startSpan'] === 'function', 'an OpenTelemetry Tracer')),
  tracerName: v.optional(v.pipe(v.string(), v.nonEmpty()), DEFAULT_TRACER_NAME),
});

let loaded: { readonly api: OpenTelemetryApi | undefined } | undefined;

/** Loads `@opentelemetry/api` once, by a fixed name; undefined when it is not installed. */
function loadApi(): OpenTelemetryApi | undefined {
  if (loaded === undefined) {
    try {
      // A synchronous require keeps tracing() synchronous; the module name is a constant, never from a message.
      loaded = { api: createRequire(import.meta.url)('@opentelemetry/api') as OpenTelemetryApi };
    } catch {
      loaded = { api: undefined };
    }
  }
  return loaded.api;
}

/**
 * Creates the tracing middleware. Place it outermost so the span covers every attempt and the logs; a
 * registered context manager (the Node SDK's AsyncLocalStorage one) makes the span active inside the job.
 */
export function tracing(options: v.InferInput<typeof TracingOptions> = {}): Middleware {
  return tracingWith(loadApi(), options);
}

/** Creates the tracing middleware over a given API module; with `undefined` it is a pass-through. */
export function tracingWith(api: OpenTelemetryApi | undefined, options: v.InferInput<typeof TracingOptions> = {}): Middleware {
  const opts = parseOptions('tracing', TracingOptions, options);
  if (api === undefined) {
    return async function tracing(_ctx, next) {
      return next();
    };
  }
  const tracer = opts.tracer ?? api.trace.getTracer(opts.tracerName);
  return async function tracing(ctx, next) {
    const { envelope } = ctx;
    const parent = extractParent(api, envelope.headers);
    const span = tracer.startSpan(
      `milvaion.job ${envelope.jobName}`,
      {
        kind: api.SpanKind.CONSUMER,
        attributes: {
          [TracingAttributes.jobName]: envelope.jobName,
          [TracingAttributes.jobId]: envelope.jobId,
          [TracingAttributes.occurrenceId]: envelope.occurrenceId,
          [TracingAttributes.correlationId]: envelope.correlationId,
          [TracingAttributes.retryCount]: ctx.retryCount,
        },
      },
      parent,
    );
    const started = ctx.clock.now();
    let outcome: Outcome;
    try {
      outcome = await api.context.with(api.trace.setSpan(parent, span), () => next());
    } catch (error) {
      // A middleware bug, not a job failure: still end the span so it is not lost.
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: messageOf(error) });
      if (error instanceof Error) span.recordException(error);
      span.end();
      throw error;
    }
    span.setAttribute(TracingAttributes.durationMs, ctx.clock.now() - started);
    record(api, span, toVerdict(outcome, envelope, ctx.settings.maxRetries));
    span.end();
    return outcome;
  };
}

/** Sets the outcome attribute and, for outcomes that are errors of the job, the span status. */
function record(api: OpenTelemetryApi, span: Span, { trace }: Verdict): void {
  span.setAttribute(TracingAttributes.outcome, trace.outcome);
  // Completed, skipped and cancelled are not errors of the job: the status stays UNSET.
  const { error } = trace;
  if (error === null) return;
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message });
  if (error.cause instanceof Error) span.recordException(error.cause);
}

function messageOf(error: unknown): string {
  return errorMessage(error);
}

/** Header values as AMQP delivers them: strings, Buffers (byte arrays), or lists of either. */
function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (Array.isArray(value)) return headerText(value[0]);
  return undefined;
}

/** Reads headers by exact name, then case-insensitively (W3C names are lowercase; senders vary). */
function readHeader(headers: Readonly<Record<string, unknown>>, key: string): string | undefined {
  if (Object.hasOwn(headers, key)) return headerText(headers[key]);
  const lower = key.toLowerCase();
  const found = Object.keys(headers).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : headerText(headers[found]);
}

const headerGetter: TextMapGetter<Readonly<Record<string, unknown>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => readHeader(carrier, key),
};

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The parent context of the span: the registered propagator's extraction when it finds a span context,
 * else our own W3C `traceparent`/`tracestate` parse, since the API's default propagator is a no-op and
 * `@opentelemetry/core` is not a dependency we may assume.
 */
function extractParent(api: OpenTelemetryApi, headers: ExecutionContext['envelope']['headers']): Context {
  const base = api.context.active();
  const extracted = api.propagation.extract(base, headers, headerGetter);
  if (api.trace.getSpanContext(extracted) !== undefined) return extracted;
  const traceparent = readHeader(headers, 'traceparent')?.trim();
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (match === null) return extracted;
  const [, version, traceId = '', spanId = '', flags = '00', rest] = match;
  // Version ff is invalid; version 00 has exactly four fields. Later versions may append fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return extracted;
  if (!api.isValidTraceId(traceId) || !api.isValidSpanId(spanId)) return extracted;
  const tracestate = readHeader(headers, 'tracestate');
  return api.trace.setSpanContext(extracted, {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & api.TraceFlags.SAMPLED,
    isRemote: true,
    ...(tracestate === undefined ? {} : { traceState: api.createTraceState(tracestate) }),
  });
}
