// createHandler(): one function for Lambda-style hosts. It takes a job message (the scheduler's JSON body,
// or an object, optionally wrapped with headers) and returns the outcome, with no broker involved.
import { randomUUID } from 'node:crypto';
import type { AwilixContainer } from 'awilix';
import { createExecutor } from '../core/create-executor.js';
import { parseJobMessage, type RawJobMessage } from '../core/parse-job-message.js';
import { toFinalFields } from '../core/to-final-fields.js';
import { JobStatus, type AnyJobDefinition, type JobDefaults, type Middleware, type TechnicalLogger } from '../core/types.js';
import { type LogRecord } from '../core/ports.js';
import { silentLogger } from '../create-logger.js';
import { defaultMiddleware } from '../middleware/default-middleware.js';
import { createMemorySink } from '../transports/memory/create-memory-sink.js';

/** Options of {@link createHandler}. */
export interface HandlerOptions {
  readonly jobs: readonly AnyJobDefinition[];
  /** Extra middleware placed inside the default pipeline. */
  readonly use?: readonly Middleware[];
  /** Replaces the whole pipeline (default: the standard one with in-process retries). */
  readonly middleware?: readonly Middleware[];
  readonly container?: AwilixContainer | undefined;
  readonly logger?: TechnicalLogger;
  readonly jobConfig?: (jobName: string) => JobDefaults | undefined;
}

/** The event a handler accepts: a body (object or JSON text), or `{ body, headers?, correlationId? }`. */
export type HandlerEvent = string | Uint8Array | Record<string, unknown> | RawJobMessage;

/** What a handler returns: the Milvaion status with its result or exception text, and the user logs. */
export interface HandlerResult {
  readonly occurrenceId: string | undefined;
  readonly status: number;
  readonly statusName: keyof typeof JobStatus;
  readonly result: string | null;
  readonly exception: string | null;
  readonly durationMs: number;
  /** When the pipeline was built with scheduled retries: the retry the caller should schedule. */
  readonly retry?: { readonly delayMs: number; readonly retryCount: number } | undefined;
  readonly logs: readonly LogRecord[];
}

const STATUS_NAMES = Object.fromEntries(Object.entries(JobStatus).map(([k, v]) => [v, k])) as Record<number, keyof typeof JobStatus>;

/** Creates a serverless handler; pass `signal` (e.g. from the host's remaining time) to stop the job cleanly. */
export function createHandler(options: HandlerOptions): (event: HandlerEvent, invocation?: { signal?: AbortSignal }) => Promise<HandlerResult> {
  const logger = options.logger ?? silentLogger;
  return async function handle(event, invocation = {}) {
    const started = performance.now();
    const message = toMessage(event);
    const parsed = parseJobMessage(message);
    if (parsed.isErr()) {
      return { occurrenceId: undefined, status: JobStatus.Failed, statusName: 'Failed', result: null, exception: parsed.error, durationMs: 0, logs: [] };
    }
    const sink = createMemorySink();
    const middleware = options.middleware ?? defaultMiddleware({ retryMode: 'in-process', shutdownSignal: invocation.signal, use: options.use ?? [] });
    // One executor per call is cheap (no I/O) and keeps concurrent invocations from sharing records.
    const executor = createExecutor({ jobs: options.jobs, middleware, sink, logger, container: options.container, jobConfig: options.jobConfig });
    const outcome = await executor.execute(parsed.value);
    const fields = toFinalFields(outcome, parsed.value.jobName);
    const durationMs = Math.round(performance.now() - started);
    const logs = sink.logs();
    if (fields === null) {
      const decision = outcome.isErr() && outcome.error.kind === 'retry-scheduled' ? outcome.error : undefined;
      return {
        occurrenceId: parsed.value.occurrenceId,
        status: JobStatus.Running,
        statusName: 'Running',
        result: null,
        exception: null,
        durationMs,
        retry: decision && { delayMs: decision.delayMs, retryCount: decision.nextRetryCount },
        logs,
      };
    }
    return { occurrenceId: parsed.value.occurrenceId, ...fields, statusName: STATUS_NAMES[fields.status] ?? 'Unknown', durationMs, logs };
  };
}

function toMessage(event: HandlerEvent): RawJobMessage {
  if (typeof event === 'object' && event !== null && !(event instanceof Uint8Array) && 'body' in event) {
    const m = event as RawJobMessage;
    return { ...m, correlationId: m.correlationId ?? readHeaderless(m) };
  }
  // A bare body carries no occurrence id (the scheduler sends it in headers): give the call one.
  return { body: event, correlationId: randomUUID() };
}

function readHeaderless(message: RawJobMessage): string | undefined {
  const h = message.headers ?? {};
  return h['OccurrenceId'] === undefined && h['CorrelationId'] === undefined ? randomUUID() : undefined;
}
