// The executor runs one envelope through the pipeline inside its own DI scope and reports every status
// and log to the sink: Running at pickup, job heartbeats while running, then exactly one final status.
import type { AwilixContainer } from 'awilix';
import { createAbortHandle } from './create-abort-handle.js';
import { compose } from './compose.js';
import { LogCategory, createJobLogger } from './create-job-logger.js';
import { resolveSettings } from './resolve-settings.js';
import { abortedOutcome, runJob } from './run-job.js';
import { toStatusRecord } from './to-status-record.js';
import { toVerdict } from './to-verdict.js';
import { JobStatus, type AnyJobDefinition, type ExecutionContext, type JobDefaults, type JobEnvelope, type JobSettings, type Middleware, type RuntimeLogger, type TechnicalLogger } from '../vocabulary/types.js';
import { type Clock, type LogRecord, type Sink, type StatusRecord } from '../vocabulary/ports.js';
import { type Outcome } from '../vocabulary/outcome.js';
import { failed } from '../vocabulary/outcomes.js';
import { errorMessage } from '../util/error-message.js';
import { jobFields, logWith } from '../vocabulary/log-fields.js';

/** What an executor needs: the jobs, the middleware (outermost first) and where statuses go. */
export interface ExecutorOptions {
  readonly jobs: readonly AnyJobDefinition[];
  readonly middleware: readonly Middleware[];
  readonly sink: Sink;
  readonly logger: TechnicalLogger;
  /** Root DI container; each execution gets `container.createScope()`, disposed afterwards. */
  readonly container?: AwilixContainer | undefined;
  readonly clock?: Clock | undefined;
  /** Per-job configuration (the `JobConsumers` section), merged over defineJob() defaults. */
  readonly jobConfig?: ((jobName: string) => JobDefaults | undefined) | undefined;
  /** Interval of job heartbeats (Running with null times); 0 or absent disables them. */
  readonly jobHeartbeatMs?: number | undefined;
  /** Named in redelivery notices, as the .NET SDK does. */
  readonly instanceId?: string | undefined;
  /**
   * A job aborted by shutdown did not finish and was not cancelled by anyone: when the transport gives the
   * message back to the broker (AMQP), write no final status, so the next worker runs and reports it.
   */
  readonly requeueOnShutdown?: boolean | undefined;
}

/** Runs envelopes; `execute` resolves once the final status is accepted by the sink, and never rejects otherwise. */
export interface Executor {
  /** Runs one envelope through the pipeline and reports its Running, logs and final status to the sink. */
  execute(envelope: JobEnvelope): Promise<Outcome>;
  /** The job registered under a name (matched case-insensitively, as the .NET SDK does). */
  definition(jobName: string): AnyJobDefinition | undefined;
  /** The effective settings of a job (without message overrides). */
  settings(jobName: string): JobSettings;
  /** Executions currently in progress. */
  readonly running: number;
  /**
   * Resolves once every job function that outlived its execution (it ignored its abort: timeout, cancel,
   * shutdown) has returned and every record it wrote after its execution ended counts as sent (or failed);
   * `false` when `timeoutMs` passed first.
   */
  settled(timeoutMs: number): Promise<boolean>;
}

const systemClock: Clock = { now: Date.now };

/** Creates an executor; throws when two jobs share a name. */
export function createExecutor(options: ExecutorOptions): Executor {
  const byName = indexJobs(options.jobs);
  const clock = options.clock ?? systemClock;
  const { sink, logger } = options;
  // Job functions still running after their execution ended (they ignored their abort): a worker closes its
  // sink only after them. Running executions are awaited by the transport itself.
  const attempts = new Set<Promise<unknown>>();
  // The writes of those late records (a log line after the final status): a stop drains the sink only after them,
  // so a line written just before the function returned is in the sink's count, not still on its way.
  const lateWrites = new Set<Promise<unknown>>();
  const terminal = (ctx: ExecutionContext): Promise<Outcome> => runUntilAborted(ctx, logger, attempts);
  const pipeline = compose(options.middleware, terminal);
  const heartbeatMs = options.jobHeartbeatMs ?? 0;
  let running = 0;
  const definition = (jobName: string) => byName.get(jobName.toLowerCase());
  const settingsFor = createSettingsResolver(options.jobConfig);

  async function execute(envelope: JobEnvelope): Promise<Outcome> {
    running++;
    const def = definition(envelope.jobName);
    const settings = settingsFor(def, envelope);
    const writes: Promise<void>[] = [];
    const state = { ended: false };
    const startTime = clock.now();
    writes.push(sink.write(runningRecord(envelope, 'start', startTime)));
    const log = createJobLogger(envelope, (record) => writeLogRecord(sink, record, writes, lateWrites, state, logger), {
      mirror: settings.logUserFriendlyLogsViaLogger ? logger : undefined,
      now: clock.now,
    });
    if (envelope.redelivered) noteRedelivery(envelope, log, logger, options.instanceId);
    const heartbeat =
      heartbeatMs > 0 ? setInterval(() => void writes.push(sink.write(runningRecord(envelope, 'heartbeat', clock.now()))), heartbeatMs) : undefined;
    heartbeat?.unref();
    const scope = options.container?.createScope();
    const abort = createAbortHandle();
    const ctx: ExecutionContext = {
      envelope,
      definition: def,
      settings,
      retryCount: envelope.retryCount,
      get signal() {
        return abort.signal;
      },
      abort,
      log,
      logger,
      scope,
      clock,
    };
    let outcome: Outcome;
    try {
      outcome = await pipeline(ctx);
    } catch (error) {
      // A middleware bug must not lose the occurrence: it becomes a failure like any other.
      logWith(logger, 'error', `Pipeline threw for ${envelope.jobName} ${envelope.occurrenceId}`, jobFields(envelope, envelope.retryCount), error);
      outcome = failed(error);
    } finally {
      // Job heartbeats stop before the final status, or an old scheduler would regress it to Running.
      if (heartbeat !== undefined) clearInterval(heartbeat);
      if (scope !== undefined) await disposeScope(scope, logger, envelope);
      running--;
    }
    const verdict = toVerdict(outcome, envelope, settings.maxRetries);
    // A job aborted by the worker's own shutdown goes back to the queue: with requeueOnShutdown it gets no final status.
    const interrupted = options.requeueOnShutdown === true && verdict.fate.kind === 'requeue';
    const endTime = interrupted ? null : clock.now();
    const { status } = verdict;
    if (endTime !== null && status !== null) {
      writes.push(sink.write(toStatusRecord(envelope, { status, phase: 'final', startTime, endTime, timestamp: endTime, result: verdict.result, exception: verdict.exception })));
    }
    state.ended = true;
    // Resolves only when every record of this execution counts as sent; a sink failure rejects, so the
    // transport must not acknowledge the delivery.
    await Promise.all(writes);
    return outcome;
  }

  return {
    execute,
    definition,
    settings: (jobName) => settingsFor(definition(jobName)),
    get running() {
      return running;
    },
    settled: (timeoutMs) => waitForAttempts([attempts, lateWrites], timeoutMs),
  };
}

/** Waits until every set is empty (each promise removes itself when it settles; a settling one may add more). */
async function waitForAttempts(sets: readonly ReadonlySet<Promise<unknown>>[], timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const left = () => sets.flatMap((set) => [...set]);
  try {
    for (let waiting = left(); waiting.length > 0; waiting = left()) if ((await Promise.race([Promise.allSettled(waiting).then(() => true), timedOut])) === false) return false;
    return true;
  } finally {
    clearTimeout(timer);
  }
}

function runningRecord(envelope: JobEnvelope, phase: 'start' | 'heartbeat', now: number): StatusRecord {
  return toStatusRecord(envelope, { status: JobStatus.Running, phase, startTime: phase === 'start' ? now : null, endTime: null, timestamp: now });
}

async function disposeScope(scope: AwilixContainer, logger: TechnicalLogger, envelope: JobEnvelope): Promise<void> {
  try {
    await scope.dispose();
  } catch (error) {
    logWith(logger, 'error', `Disposing the DI scope of ${envelope.jobName} ${envelope.occurrenceId} failed`, jobFields(envelope, envelope.retryCount), error);
  }
}

function indexJobs(jobs: readonly AnyJobDefinition[]): Map<string, AnyJobDefinition> {
  const byName = new Map<string, AnyJobDefinition>();
  for (const job of jobs) {
    const key = job.name.toLowerCase();
    if (byName.has(key)) throw new Error(`Two jobs are registered under the name "${job.name}"`);
    byName.set(key, job);
  }
  return byName;
}

/** Settings per job, cached; a message's own timeout override is resolved per message. */
function createSettingsResolver(jobConfig: ExecutorOptions['jobConfig']): (def: AnyJobDefinition | undefined, env?: JobEnvelope) => JobSettings {
  const cache = new Map<string, JobSettings>();
  return (def, env) => {
    if (def === undefined) return resolveSettings(undefined, {}, env);
    if (env?.executionTimeoutSeconds !== undefined) return resolveSettings(def, jobConfig?.(def.name), env);
    let cached = cache.get(def.name);
    if (cached === undefined) {
      cached = resolveSettings(def, jobConfig?.(def.name));
      cache.set(def.name, cached);
    }
    return cached;
  };
}

/**
 * The innermost step: races the job against the execution's abort handle. A cancel, shutdown or timeout ends
 * the attempt at once even if the job ignores its signal, and its late result is only noted.
 */
function runUntilAborted(ctx: ExecutionContext, logger: TechnicalLogger, attempts: Set<Promise<unknown>>): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    let settled = false;
    const attempt = runJob(ctx);
    attempt.then((outcome) => {
      settled = true;
      resolve(outcome);
    }, reject);
    ctx.abort.onAbort((reason) => {
      if (settled) return;
      settled = true;
      resolve(abortedOutcome(reason));
      // Only a job function that outlives its execution is tracked: nothing is added to the per-job path.
      attempts.add(attempt);
      attempt.finally(() => attempts.delete(attempt)).catch(() => undefined);
      const fields = jobFields(ctx.envelope, ctx.retryCount);
      attempt.then(
        () => logWith(logger, 'warn', `${ctx.envelope.jobName} ${ctx.envelope.occurrenceId} returned after it was aborted (${reason.source}); its result was discarded`, fields),
        (error: unknown) => logWith(logger, 'warn', `${ctx.envelope.jobName} ${ctx.envelope.occurrenceId} failed after it was aborted (${reason.source}): ${errorMessage(error)}`, fields),
      );
    });
  });
}

/** A redelivered occurrence runs again: say so on the console and in the occurrence's dashboard log. */
function noteRedelivery(envelope: JobEnvelope, log: RuntimeLogger, logger: TechnicalLogger, instanceId: string | undefined): void {
  logWith(logger, 'warn', `Redelivery of ${envelope.jobName} occurrence ${envelope.occurrenceId}: running it again`, jobFields(envelope, envelope.retryCount));
  log.write('Warning', 'Redelivery detected: this occurrence was delivered before and runs again', { Reason: 'RabbitMQ redelivery detected', WorkerId: instanceId ?? null }, LogCategory.Redelivery);
}

/**
 * Hands a user log line to the sink. During the execution the write is awaited with the others; a line written
 * after the execution ended (a job that ignored its abort) is awaited by `settled()` only, so its failure is noted here.
 */
function writeLogRecord(sink: Sink, record: LogRecord, writes: Promise<void>[], lateWrites: Set<Promise<unknown>>, state: { ended: boolean }, logger: TechnicalLogger): void {
  const written = sink.write(record);
  if (!state.ended) {
    writes.push(written);
    return;
  }
  const late = written.catch((error: unknown) => logWith(logger, 'debug', `A late log line of ${record.jobName} ${record.occurrenceId} was not recorded: ${errorMessage(error)}`, jobFields(record)));
  lateWrites.add(late);
  void late.finally(() => lateWrites.delete(late));
}
