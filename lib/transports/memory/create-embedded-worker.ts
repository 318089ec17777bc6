// The embedded transport: an in-process source (per-job queues with concurrency limits, scheduled retries
// on timers, cancel by occurrence id) feeding the same executor and pipeline the RabbitMQ source uses.
// It is also the test transport users get for their own jobs.
import { randomUUID } from 'node:crypto';
import type { AwilixContainer } from 'awilix';
import { createCancellationRegistry } from '../../core/create-cancellation-registry.js';
import { createExecutor, type Executor } from '../../core/create-executor.js';
import { parseJobMessage, type RawJobMessage } from '../../core/parse-job-message.js';
import { JobStatus, type AnyJobDefinition, type JobDefaults, type JobEnvelope, type Middleware, type TechnicalLogger } from '../../core/types.js';
import { type CancellationRegistry, type Clock, type StatusRecord } from '../../core/ports.js';
import { type Outcome } from '../../core/outcome.js';
import { silentLogger } from '../../create-logger.js';
import { defaultMiddleware } from '../../middleware/default-middleware.js';
import { createMemorySink, type MemorySink } from './create-memory-sink.js';
import { Fifo } from '../../core/fifo.js';

/** The parts a custom middleware list may need to keep cancellation and shutdown working. */
export interface PipelineParts {
  readonly registry: CancellationRegistry;
  readonly shutdownSignal: AbortSignal;
}

/** Options of {@link createEmbeddedWorker}. */
export interface EmbeddedWorkerOptions {
  readonly jobs: readonly AnyJobDefinition[];
  /** Extra middleware placed inside the default pipeline (after logging and filters). */
  readonly use?: readonly Middleware[];
  /** Replaces the whole pipeline; build it from `defaultMiddleware({ retryMode: 'scheduled', ...parts })` to keep cancel working. */
  readonly middleware?: (parts: PipelineParts) => readonly Middleware[];
  readonly container?: AwilixContainer | undefined;
  readonly logger?: TechnicalLogger;
  readonly jobConfig?: (jobName: string) => JobDefaults | undefined;
  readonly sink?: MemorySink;
  readonly clock?: Clock;
}

/** What {@link EmbeddedWorker.enqueue} accepts besides the job name and data. */
export interface EnqueueOptions {
  readonly occurrenceId?: string;
  readonly jobId?: string;
  /** The raw `jobData` string, sent as-is instead of JSON-encoding `data`. */
  readonly rawData?: string;
  readonly executionTimeoutSeconds?: number;
}

/** An in-process worker: enqueue jobs, cancel them, observe their statuses and logs. */
export interface EmbeddedWorker {
  /** Queues a job; returns its occurrence id. */
  enqueue(jobName: string, data?: unknown, options?: EnqueueOptions): string;
  /** Queues a message in the scheduler's wire shape; a malformed one is dead-lettered with its reason. */
  dispatch(message: RawJobMessage): string | undefined;
  /** Cancels a running or retry-waiting occurrence; false when it is not known here. */
  cancel(occurrenceId: string, reason?: string): boolean;
  /** Resolves with the final status of an occurrence. */
  wait(occurrenceId: string): Promise<StatusRecord>;
  /** Resolves when nothing is queued, running or waiting for a retry. */
  idle(): Promise<void>;
  /** Stops intake, waits up to `graceMs` for running jobs, then aborts them (reason: shutdown). */
  close(options?: { graceMs?: number }): Promise<void>;
  readonly sink: MemorySink;
  readonly registry: CancellationRegistry;
  readonly executor: Executor;
  /** Messages that could not be parsed, with the reason. */
  readonly deadLetters: readonly { readonly message: RawJobMessage; readonly reason: string }[];
}

const NO_HEADERS: Readonly<Record<string, unknown>> = Object.freeze({});

interface Lane {
  active: number;
  readonly limit: number;
  readonly waiting: Fifo<JobEnvelope>;
}

/** Creates an embedded (in-memory) worker. */
export function createEmbeddedWorker(options: EmbeddedWorkerOptions): EmbeddedWorker {
  const sink = options.sink ?? createMemorySink();
  const clock = options.clock ?? { now: Date.now };
  const registry = createCancellationRegistry({ now: clock.now });
  const shutdown = new AbortController();
  const parts: PipelineParts = { registry, shutdownSignal: shutdown.signal };
  const middleware =
    options.middleware?.(parts) ?? defaultMiddleware({ retryMode: 'scheduled', use: options.use ?? [], ...parts });
  const logger = options.logger ?? silentLogger;
  const executor = createExecutor({
    jobs: options.jobs,
    middleware,
    sink,
    logger,
    container: options.container,
    clock,
    jobConfig: options.jobConfig,
  });
  const lanes = new Map<string, Lane>();
  const retryTimers = new Map<NodeJS.Timeout, JobEnvelope>();
  const deadLetters: { message: RawJobMessage; reason: string }[] = [];
  let inFlight = 0;
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  const settle = () => {
    if (--inFlight === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  const lane = (jobName: string): Lane => {
    let found = lanes.get(jobName);
    if (found !== undefined) return found;
    const key = jobName.toLowerCase();
    found = lanes.get(key);
    if (found === undefined) {
      const def = executor.definition(jobName);
      const limit = def ? executor.settings(def.name).maxParallelJobs : 1;
      lanes.set(key, (found = { active: 0, limit, waiting: new Fifo() }));
    }
    lanes.set(jobName, found); // the exact spelling too, so the next lookup skips toLowerCase
    return found;
  };

  const pump = (l: Lane) => {
    while (l.active < l.limit && l.waiting.length > 0) {
      const envelope = l.waiting.shift()!;
      l.active++;
      void run(envelope).finally(() => {
        l.active--;
        pump(l);
        settle();
      });
    }
  };

  const push = (envelope: JobEnvelope) => {
    inFlight++;
    const l = lane(envelope.jobName);
    l.waiting.push(envelope);
    pump(l);
  };

  async function run(envelope: JobEnvelope): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await executor.execute(envelope);
    } catch (error) {
      logger.error(`Embedded worker: the sink rejected a record of ${envelope.occurrenceId}`, error);
      return;
    }
    if (outcome.isErr() && outcome.error.kind === 'retry-scheduled') {
      const { delayMs, nextRetryCount } = outcome.error;
      inFlight++;
      // The waiting retry holds no concurrency slot: it is only a timer until it is queued again.
      const timer = setTimeout(() => {
        retryTimers.delete(timer);
        settle();
        if (!closed) push({ ...envelope, retryCount: nextRetryCount, redelivered: false });
      }, delayMs);
      retryTimers.set(timer, envelope);
    }
  }

  const enqueue = (jobName: string, data?: unknown, opts: EnqueueOptions = {}): string => {
    if (closed) throw new Error('The embedded worker is closed');
    const occurrenceId = opts.occurrenceId ?? randomUUID();
    push({
      jobId: opts.jobId ?? randomUUID(),
      jobName,
      jobData: opts.rawData ?? (data === undefined ? undefined : JSON.stringify(data)),
      occurrenceId,
      correlationId: occurrenceId,
      retryCount: 0,
      redelivered: false,
      executionTimeoutSeconds: opts.executionTimeoutSeconds,
      version: 1,
      headers: NO_HEADERS,
    });
    return occurrenceId;
  };

  return {
    enqueue,
    dispatch(message) {
      if (closed) throw new Error('The embedded worker is closed');
      const parsed = parseJobMessage(message);
      if (parsed.isErr()) {
        deadLetters.push({ message, reason: parsed.error });
        logger.warn(`Embedded worker: dead-lettered a message: ${parsed.error}`);
        return undefined;
      }
      push(parsed.value);
      return parsed.value.occurrenceId;
    },
    cancel: (occurrenceId, reason = 'Cancelled by request') => registry.cancel(occurrenceId, reason),
    wait(occurrenceId) {
      const done = sink.finalStatus(occurrenceId);
      if (done !== undefined) return Promise.resolve(done);
      return new Promise((resolve) => {
        const stop = sink.subscribe((record) => {
          if (record.type === 'status' && record.phase === 'final' && record.occurrenceId === occurrenceId) {
            stop();
            resolve(record);
          }
        });
      });
    },
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    async close(opts = {}) {
      if (closed) return;
      closed = true;
      for (const l of new Set(lanes.values())) {
        // Queued but not started: nothing ran, so they end Cancelled rather than vanish.
        for (const envelope of l.waiting.drain()) {
          await writeCancelled(envelope, 'The embedded worker closed before the job started');
          settle();
        }
      }
      for (const [timer, envelope] of retryTimers) {
        clearTimeout(timer);
        retryTimers.delete(timer);
        await writeCancelled(envelope, 'The embedded worker closed before the scheduled retry');
        settle();
      }
      if (inFlight > 0) {
        const grace = opts.graceMs ?? 30_000;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => idleWaiters.push(resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, grace))),
        ]);
        clearTimeout(timer);
        shutdown.abort();
        if (inFlight > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
      }
    },
    sink,
    registry,
    executor,
    deadLetters,
  };

  function writeCancelled(envelope: JobEnvelope, reason: string): Promise<void> {
    const now = clock.now();
    return sink.write({
      type: 'status',
      occurrenceId: envelope.occurrenceId,
      correlationId: envelope.correlationId,
      jobId: envelope.jobId,
      jobName: envelope.jobName,
      status: JobStatus.Cancelled,
      phase: 'final',
      startTime: null,
      endTime: now,
      durationMs: null,
      result: `Job cancelled by user or system: ${reason}`,
      exception: null,
      timestamp: now,
    });
  }
}
