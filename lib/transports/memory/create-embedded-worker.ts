// The embedded transport: an in-process source (per-job queues with concurrency limits, scheduled retries
// on timers, cancel by occurrence id) feeding the same executor and pipeline the RabbitMQ source uses.
// It is also the test transport users get for their own jobs.
import { randomUUID } from 'node:crypto';
import type { AwilixContainer } from 'awilix';
import { createCancellationRegistry } from '../../core/engine/create-cancellation-registry.js';
import { createExecutor, type Executor } from '../../core/engine/create-executor.js';
import { parseJobMessage, type RawJobMessage } from '../../core/engine/parse-job-message.js';
import { type AnyJobDefinition, type JobDefaults, type JobEnvelope, type Middleware, type TechnicalLogger } from '../../core/vocabulary/types.js';
import type { DataArgs, JobInput, JobInputByName, JobName } from '../../core/vocabulary/job-input.js';
import { isJobDefinition } from '../../define-job.js';
import { type CancellationRegistry, type Clock, type StatusRecord } from '../../core/vocabulary/ports.js';
import { type Outcome } from '../../core/vocabulary/outcome.js';
import { toVerdict } from '../../core/engine/to-verdict.js';
import { createJobLimits } from '../../core/engine/create-job-limits.js';
import { silentLogger } from '../../create-logger.js';
import { defaultMiddleware } from '../../middleware/default-middleware.js';
import { createInFlight } from './create-in-flight.js';
import { cancelNotStarted, toCancelledRecord, waitForRunning } from './stop-embedded-worker.js';
import { createJobLanes } from './create-job-lanes.js';
import { createMemorySink, type MemorySink } from './create-memory-sink.js';

/** Options of {@link createEmbeddedWorker}; the worker knows the names and input types of `jobs` for typed `enqueue`. */
export interface EmbeddedWorkerOptions<TJobs extends readonly AnyJobDefinition[] = readonly AnyJobDefinition[]> {
  readonly jobs: TJobs;
  /** Extra middleware placed inside the default pipeline (after logging and filters). */
  readonly use?: readonly Middleware[];
  /**
   * @internal Replaces the whole pipeline; build it from `defaultMiddleware({ retryMode: 'scheduled', ...parts })` to
   * keep cancel working (`parts`: what a custom list needs to keep cancellation and shutdown working).
   */
  readonly middleware?: (parts: { readonly registry: CancellationRegistry; readonly shutdownSignal: AbortSignal }) => readonly Middleware[];
  readonly container?: AwilixContainer | undefined;
  readonly logger?: TechnicalLogger;
  /** Per-job configuration (the `JobConsumers` section), merged over defineJob() defaults. */
  readonly jobConfig?: (jobName: string) => JobDefaults | undefined;
  readonly sink?: MemorySink;
  /** @internal Time, so specs can fake it. */
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
export interface EmbeddedWorker<TJobs extends readonly AnyJobDefinition[] = readonly AnyJobDefinition[]> {
  /**
   * Queues a job by name; returns its occurrence id. The name must be one of the worker's jobs and `data` that
   * job's data schema input, both checked at compile time (any string and data when the jobs are not typed).
   */
  enqueue<TName extends JobName<TJobs[number]>>(jobName: TName, ...args: DataArgs<JobInputByName<TJobs[number], TName>, EnqueueOptions>): string;
  /** Queues a job by its definition (the name comes from it; `data` is checked against its schema's input type); returns its occurrence id. */
  enqueue<TJob extends TJobs[number]>(job: TJob, ...args: DataArgs<JobInput<TJob>, EnqueueOptions>): string;
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
  /** @internal Where cancels by occurrence id arrive. */
  readonly registry: CancellationRegistry;
  /** @internal The executor the worker runs every job through. */
  readonly executor: Executor;
  /** Messages that could not be parsed, with the reason. */
  readonly deadLetters: readonly { readonly message: RawJobMessage; readonly reason: string }[];
}

const NO_HEADERS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Creates an embedded (in-memory) worker. */
export function createEmbeddedWorker<const TJobs extends readonly AnyJobDefinition[]>(options: EmbeddedWorkerOptions<TJobs>): EmbeddedWorker<TJobs> {
  const sink = options.sink ?? createMemorySink();
  const clock = options.clock ?? { now: Date.now };
  const registry = createCancellationRegistry({ now: clock.now });
  const shutdown = new AbortController();
  const logger = options.logger ?? silentLogger;
  const executor = buildExecutor(options, registry, shutdown.signal, sink, clock, logger);
  // Rate-limited jobs wait for their turn before they start, as on RabbitMQ (per process: no Redis here).
  const limits = createJobLimits({ sink, logger, registry, now: clock.now });
  const closing = new AbortController();
  const inFlight = createInFlight();
  const lanes = createJobLanes({ executor, run, onRunEnd: inFlight.done });
  const retryTimers = new Map<NodeJS.Timeout, JobEnvelope>();
  const deadLetters: { message: RawJobMessage; reason: string }[] = [];
  let closed = false;

  const push = (envelope: JobEnvelope) => {
    inFlight.add();
    lanes.push(envelope);
  };

  async function run(envelope: JobEnvelope): Promise<void> {
    const settings = executor.settings(envelope.jobName);
    const limited = settings.rateLimit !== undefined || settings.maxParallelJobsGlobal !== undefined;
    const turn = limited ? await limits.turn(executor.definition(envelope.jobName), settings, envelope, closing.signal) : undefined;
    if (turn !== undefined && turn.kind !== 'start') return writeCancelled(envelope, turn.kind === 'cancelled' ? turn.reason : 'The embedded worker closed before the job started');
    let outcome: Outcome;
    try {
      outcome = await executor.execute(envelope);
    } catch (error) {
      logger.error(`Embedded worker: the sink rejected a record of ${envelope.occurrenceId}`, error);
      return;
    } finally {
      turn?.release();
    }
    const { fate } = toVerdict(outcome, envelope, settings.maxRetries);
    if (fate.kind === 'retry') {
      const { delayMs, retryCount } = fate;
      inFlight.add();
      // The waiting retry holds no concurrency slot: it is only a timer until it is queued again.
      const timer = setTimeout(() => {
        retryTimers.delete(timer);
        inFlight.done();
        if (!closed) push({ ...envelope, retryCount, redelivered: false });
      }, delayMs);
      retryTimers.set(timer, envelope);
    }
  }

  const writeCancelled = (envelope: JobEnvelope, reason: string): Promise<void> => sink.write(toCancelledRecord(envelope, reason, clock.now()));

  return {
    enqueue(job: string | AnyJobDefinition, data?: unknown, opts: EnqueueOptions = {}) {
      if (closed) throw new Error('The embedded worker is closed');
      const envelope = newEnvelope(isJobDefinition(job) ? job.name : job, data, opts);
      push(envelope);
      return envelope.occurrenceId;
    },
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
    wait: (occurrenceId) => waitForFinal(sink, occurrenceId),
    idle: () => inFlight.idle(),
    async close(opts = {}) {
      if (closed) return;
      closed = true;
      closing.abort();
      await cancelNotStarted(lanes.backlogs(), retryTimers, writeCancelled, inFlight);
      if (inFlight.count > 0) await waitForRunning(inFlight, opts.graceMs ?? 30_000, shutdown);
    },
    sink,
    registry,
    executor,
    deadLetters,
  };
}

/** The executor of an embedded worker: the default pipeline (with scheduled retries) unless the options replace it. */
function buildExecutor(
  options: EmbeddedWorkerOptions,
  registry: CancellationRegistry,
  shutdownSignal: AbortSignal,
  sink: MemorySink,
  clock: Clock,
  logger: TechnicalLogger,
): Executor {
  const parts = { registry, shutdownSignal };
  const middleware =
    options.middleware?.(parts) ?? defaultMiddleware({ retryMode: 'scheduled', use: options.use ?? [], ...parts });
  return createExecutor({
    jobs: options.jobs,
    middleware,
    sink,
    logger,
    container: options.container,
    clock,
    jobConfig: options.jobConfig,
  });
}

/** The envelope of a job queued with {@link EmbeddedWorker.enqueue}. */
function newEnvelope(jobName: string, data: unknown, opts: EnqueueOptions): JobEnvelope {
  const occurrenceId = opts.occurrenceId ?? randomUUID();
  return {
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
  };
}

/** Resolves with the final status of an occurrence, at once when the sink already holds it. */
function waitForFinal(sink: MemorySink, occurrenceId: string): Promise<StatusRecord> {
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
}
