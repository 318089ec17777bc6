// createHandler(): one function for Lambda-style hosts. It takes a job message (the scheduler's JSON body, as
// text, bytes or an object, optionally wrapped with its headers) or an Amazon MQ for RabbitMQ event, runs each
// job and returns its outcome. With a reporter, the run also reaches Milvaion's queues as a worker's would.
import { randomUUID } from 'node:crypto';
import type { AwilixContainer } from 'awilix';
import { createExecutor } from '../core/engine/create-executor.js';
import { errorMessage } from '../core/util/error-message.js';
import type { HandlerReporter, HandlerSettlement } from '../core/vocabulary/handler-reporter.js';
import { parseJobMessage, type RawJobMessage } from '../core/engine/parse-job-message.js';
import type { LogRecord, Sink } from '../core/vocabulary/ports.js';
import { toVerdict } from '../core/engine/to-verdict.js';
import { JobStatus, type AnyJobDefinition, type JobDefaults, type Middleware, type TechnicalLogger } from '../core/vocabulary/types.js';
import { silentLogger } from '../create-logger.js';
import { defaultMiddleware } from '../middleware/default-middleware.js';
import { createMemorySink } from '../transports/memory/create-memory-sink.js';
import type { AmazonMqEvent, HandlerEvent, JobMessageEvent } from './handler-event.js';
import { toAmazonMqDeliveries, type AmazonMqDelivery } from './to-amazon-mq-deliveries.js';

/** Options of {@link createHandler}. */
export interface HandlerOptions {
  readonly jobs: readonly AnyJobDefinition[];
  /** Extra middleware placed inside the default pipeline. */
  readonly use?: readonly Middleware[];
  /** Replaces the whole pipeline (default: the standard one; see `reporter` for how retries are made). */
  readonly middleware?: readonly Middleware[];
  readonly container?: AwilixContainer | undefined;
  readonly logger?: TechnicalLogger;
  /** Per-job configuration (the `JobConsumers` section), merged over defineJob() defaults. */
  readonly jobConfig?: (jobName: string) => JobDefaults | undefined;
  /**
   * Reports every run to Milvaion, as a worker does: the Running, the log lines and the final status go to the
   * scheduler's queues, confirmed by the broker before the handler returns, and a dead letter goes to the
   * dead-letter exchange. A message from an Amazon MQ event is retried through a delay queue back to the queue
   * it came from (other shapes retry in-process), and one that is not a job message is dead-lettered.
   * Make it once per process and reuse it: `createHandlerReporter({ url, workerId })` from `milvaion-worker/amqp`.
   * Without it nothing is sent anywhere.
   */
  readonly reporter?: HandlerReporter | undefined;
}

/** What a handler returns for one message: the Milvaion status with its result or exception text, and the user logs. */
export interface HandlerResult {
  /** Undefined only when the message could not be read. */
  readonly occurrenceId: string | undefined;
  readonly status: number;
  readonly statusName: keyof typeof JobStatus;
  readonly result: string | null;
  /** The exception text; for a message that could not be read, what it lacked (e.g. the fields a job message needs). */
  readonly exception: string | null;
  readonly durationMs: number;
  /**
   * A retry decided by a pipeline with scheduled retries. With a reporter and a message from an Amazon MQ event it
   * is already published (`published: 'retry'`); otherwise the caller schedules it.
   */
  readonly retry?: { readonly delayMs: number; readonly retryCount: number } | undefined;
  readonly logs: readonly LogRecord[];
  /** With a reporter: what it published besides statuses and logs (`retry`: a copy waits in a delay queue; `dead-letter`). */
  readonly published?: HandlerSettlement | undefined;
}

/**
 * A serverless handler. It resolves with one result per message (in the event's order, each with the queue and
 * virtual host it came from) for an Amazon MQ event, else with one result. It resolves once every status, log,
 * retry and dead letter of the call counts as sent (confirmed by the broker, with a reporter), and rejects when one
 * could not be sent: the message was not handled, and Lambda then retries the event. A failed job is not a
 * rejection: its result says Failed. Per call, `invocation.signal` (e.g. from the host's remaining time) stops the
 * job cleanly; it then ends Cancelled.
 */
export type Handler = <E extends HandlerEvent>(
  event: E,
  invocation?: { readonly signal?: AbortSignal | undefined },
) => Promise<E extends AmazonMqEvent ? (HandlerResult & { readonly queue: string; readonly virtualHost: string })[] : HandlerResult>;

/** The result of one message of an Amazon MQ event, with the queue and virtual host it came from. */
export type AmazonMqResult = HandlerResult & { readonly queue: string; readonly virtualHost: string };

const STATUS_NAMES = Object.fromEntries(Object.entries(JobStatus).map(([k, v]) => [v, k])) as Record<number, keyof typeof JobStatus>;

/**
 * Creates a serverless handler for `jobs`. It takes one job message as JSON text, bytes, an object or
 * `{ body, headers }`, or the event of an Amazon MQ for RabbitMQ event source (messages run one after another):
 *
 * ```ts
 * declare const handle: Handler;
 * await handle('{"id":"0f8fad5b-d9cb-469f-a165-70867728950e","jobNameInWorker":"SendEmailJob","jobData":"{\"to\":\"ada@example.com\"}"}');
 * await handle(Buffer.from(jsonText));
 * await handle({ id: '0f8fad5b-d9cb-469f-a165-70867728950e', jobNameInWorker: 'SendEmailJob', jobData: '{"to":"ada@example.com"}' });
 * await handle({ body: jsonText, headers: { CorrelationId: '7c9e6679-7425-40de-944b-e07fc1f90ae7' } });
 * await handle({ eventSource: 'aws:rmq', rmqMessagesByQueue: { 'scheduled_jobs_queue.mail.wildcard::/': [{ basicProperties: { correlationId: '7c9e…' }, data: base64Body }] } });
 * ```
 *
 * The Amazon MQ event follows AWS's "Using Lambda with Amazon MQ" (the example RabbitMQ record event): messages
 * under `<queue>::<vhost>`, base64 `data`, and header values that are long strings as `{ bytes: [...] }`. A body
 * needs `id` and `jobNameInWorker` (`jobData` optional); a refused message's result names the fields it lacked.
 */
export function createHandler(options: HandlerOptions): Handler {
  const logger = options.logger ?? silentLogger;
  const { reporter } = options;

  /** Runs one message; `from` is set for a message consumed from a broker queue (an Amazon MQ event). */
  async function run(message: RawJobMessage, from: { readonly queue: string; readonly virtualHost: string } | undefined, signal: AbortSignal | undefined): Promise<HandlerResult> {
    const started = performance.now();
    const parsed = parseJobMessage(message);
    if (parsed.isErr()) return refuse(parsed.error, from === undefined ? undefined : { ...message, queue: from.queue });
    const envelope = parsed.value;
    const memory = createMemorySink();
    const sink: Sink = reporter === undefined ? memory : { write: (record) => Promise.all([memory.write(record), reporter.sink.write(record)]).then(() => undefined) };
    // Retries wait in a broker delay queue when there is one to go back to; otherwise in-process.
    const retryMode = reporter !== undefined && from !== undefined ? 'scheduled' : 'in-process';
    const middleware = options.middleware ?? defaultMiddleware({ retryMode, shutdownSignal: signal, use: options.use ?? [] });
    // One executor per message is cheap (no I/O) and keeps concurrent invocations from sharing records.
    const executor = createExecutor({ jobs: options.jobs, middleware, sink, logger, container: options.container, jobConfig: options.jobConfig });
    const what = `${envelope.jobName} ${envelope.occurrenceId}`;
    const outcome = await executor.execute(envelope).catch((error: unknown) => {
      throw new Error(`Reporting ${what} to Milvaion failed: ${errorMessage(error)}; the message was not handled`, { cause: error });
    });
    const { maxRetries } = executor.settings(envelope.jobName);
    const published = await reporter?.settle({ envelope, outcome, queue: from?.queue, virtualHost: from?.virtualHost, maxRetries });
    const verdict = toVerdict(outcome, envelope, maxRetries);
    const durationMs = Math.round(performance.now() - started);
    const logs = memory.logs();
    const { status, fate } = verdict;
    if (status === null) {
      return {
        occurrenceId: envelope.occurrenceId,
        status: JobStatus.Running,
        statusName: 'Running',
        result: null,
        exception: null,
        durationMs,
        retry: fate.kind === 'retry' ? { delayMs: fate.delayMs, retryCount: fate.retryCount } : undefined,
        logs,
        published,
      };
    }
    return { occurrenceId: envelope.occurrenceId, status, result: verdict.result, exception: verdict.exception, statusName: STATUS_NAMES[status] ?? 'Unknown', durationMs, logs, published };
  }

  /** The result of a message that could not be read; one consumed from a queue is dead-lettered with the reason. */
  async function refuse(reason: string, consumed: (RawJobMessage & { readonly queue: string }) | undefined): Promise<HandlerResult> {
    let published: HandlerSettlement | undefined;
    if (reporter !== undefined && consumed !== undefined) {
      const body = consumed.body instanceof Uint8Array ? consumed.body : Buffer.from(typeof consumed.body === 'string' ? consumed.body : JSON.stringify(consumed.body ?? null));
      await reporter.deadLetterRaw({ body, headers: consumed.headers ?? {}, correlationId: consumed.correlationId, queue: consumed.queue }, reason);
      published = 'dead-letter';
    }
    return { occurrenceId: undefined, status: JobStatus.Failed, statusName: 'Failed', result: null, exception: reason, durationMs: 0, logs: [], published };
  }

  async function runDelivery(delivery: AmazonMqDelivery, signal: AbortSignal | undefined): Promise<HandlerResult> {
    const message: RawJobMessage = { body: delivery.body, headers: delivery.headers, correlationId: delivery.correlationId, redelivered: delivery.redelivered };
    return delivery.problem === undefined ? run(message, delivery, signal) : refuse(delivery.problem, { ...message, queue: delivery.queue });
  }

  async function handle(event: HandlerEvent, invocation: NonNullable<Parameters<Handler>[1]> = {}): Promise<HandlerResult | AmazonMqResult[]> {
    if (!isAmazonMqEvent(event)) return run(toMessage(event), undefined, invocation.signal);
    const deliveries = toAmazonMqDeliveries(event);
    if (deliveries.isErr()) throw new TypeError(deliveries.error);
    const results: AmazonMqResult[] = [];
    // One after another, in the event's order (a RabbitMQ event source mapping runs one function at a time by default).
    for (const delivery of deliveries.value) results.push({ ...(await runDelivery(delivery, invocation.signal)), queue: delivery.queue, virtualHost: delivery.virtualHost });
    return results;
  }

  // The overloaded shape (a list for an Amazon MQ event, one result otherwise) is what `handle` returns at run time.
  return handle as Handler;
}

/** Whether an event comes from an Amazon MQ event source (RabbitMQ `aws:rmq`; ActiveMQ `aws:amq` is refused when read). */
function isAmazonMqEvent(event: HandlerEvent): event is AmazonMqEvent {
  if (typeof event !== 'object' || event === null || event instanceof Uint8Array || 'body' in event) return false;
  const source = (event as { eventSource?: unknown }).eventSource;
  return source === 'aws:rmq' || source === 'aws:amq' || 'rmqMessagesByQueue' in event;
}

function toMessage(event: JobMessageEvent): RawJobMessage {
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
