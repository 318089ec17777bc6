// Shared harness for the pipeline and middleware specs: hand-built execution contexts for compose(), an
// executor over a memory sink, and helpers that drive t.mock.timers (loggers and envelopes: loggers.ts, envelopes.ts).
import assert from 'node:assert/strict';
import { type AnyJobDefinition, type ExecutionContext, type JobEnvelope, type JobAbortError, type Completion, type NotCompleted, type Middleware, type Outcome } from '../../lib/index.ts';
import { createExecutor, type Executor } from '../../lib/core/engine/create-executor.ts';
import { createMemorySink, type MemorySink } from '../../lib/transports/memory/create-memory-sink.ts';
import { resolveSettings } from '../../lib/core/engine/resolve-settings.ts';
import { type Clock } from '../../lib/core/vocabulary/ports.ts';
import { type JobDefaults } from '../../lib/core/vocabulary/types.ts';
import { makeEnvelope } from './envelopes.ts';
import { captureLogger, captureRuntimeLog, type CapturingLogger, type CapturingRuntimeLog } from './loggers.ts';

/** A clock that reads `Date.now()` at call time, so it follows `t.mock.timers` when 'Date' is mocked. */
export const dateClock: Clock = { now: () => Date.now() };

/** What {@link makeContext} may set. */
export interface ContextOptions {
  readonly envelope?: Partial<JobEnvelope>;
  readonly config?: JobDefaults;
  readonly clock?: Clock;
}

/** A hand-built execution context with the loggers it writes to. */
export interface BuiltContext {
  readonly ctx: ExecutionContext;
  /** The execution's abort handle (`ctx.abort`); `ctx.signal` is its signal. */
  readonly abort: AbortHandle;
  /** Where `ctx.log` lines go. */
  readonly log: CapturingRuntimeLog;
  /** Where `ctx.logger` lines go. */
  readonly logger: CapturingLogger;
}

/** Builds an ExecutionContext for a definition (or none, for an unknown job) with capturing loggers. */
export function makeContext(definition: AnyJobDefinition | undefined, options: ContextOptions = {}): BuiltContext {
  const envelope = makeEnvelope(definition?.name ?? 'UnknownJob', options.envelope);
  const log = captureRuntimeLog();
  const logger = captureLogger();
  const abort = createTestAbortHandle();
  const ctx: ExecutionContext = {
    envelope,
    definition,
    settings: resolveSettings(definition, options.config, envelope),
    retryCount: envelope.retryCount,
    signal: abort.signal,
    abort,
    log,
    logger,
    scope: undefined,
    clock: options.clock ?? dateClock,
  };
  return { ctx, abort, log, logger };
}

/** The abort handle type of an execution context. */
type AbortHandle = ExecutionContext['abort'];

/** A plain abort handle for hand-built contexts: the first reason wins, listeners are called once. */
function createTestAbortHandle(): AbortHandle {
  const controller = new AbortController();
  let reason: JobAbortError | undefined;
  let listeners: ((reason: JobAbortError) => void)[] = [];
  return {
    signal: controller.signal,
    get reason() {
      return reason;
    },
    abort(error) {
      if (reason !== undefined) return;
      reason = error;
      controller.abort(error);
      const pending = listeners;
      listeners = [];
      for (const listener of pending) listener(error);
    },
    onAbort(listener) {
      if (reason !== undefined) listener(reason);
      else listeners.push(listener);
    },
  };
}

/** What {@link createHarness} takes. */
export interface HarnessOptions {
  readonly jobs: readonly AnyJobDefinition[];
  readonly middleware: readonly Middleware[];
  readonly clock?: Clock;
  readonly jobConfig?: (jobName: string) => JobDefaults | undefined;
}

/** An executor over a memory sink with a capturing technical logger. */
export interface Harness {
  readonly executor: Executor;
  readonly sink: MemorySink;
  readonly logger: CapturingLogger;
  /** Runs one envelope for `jobName` end to end; the envelope is returned for its ids. */
  start(jobName: string, overrides?: Partial<JobEnvelope>): { readonly envelope: JobEnvelope; readonly outcome: Promise<Outcome> };
  /** Runs one envelope and waits for its outcome. */
  run(jobName: string, overrides?: Partial<JobEnvelope>): Promise<Outcome>;
}

/** Creates an executor with the given jobs and middleware, reporting to a fresh memory sink. */
export function createHarness(options: HarnessOptions): Harness {
  const sink = createMemorySink();
  const logger = captureLogger();
  const executor = createExecutor({
    jobs: options.jobs,
    middleware: options.middleware,
    sink,
    logger,
    clock: options.clock ?? dateClock,
    jobConfig: options.jobConfig,
  });
  const start = (jobName: string, overrides: Partial<JobEnvelope> = {}) => {
    const envelope = makeEnvelope(jobName, overrides);
    return { envelope, outcome: executor.execute(envelope) };
  };
  return { executor, sink, logger, start, run: (jobName, overrides) => start(jobName, overrides).outcome };
}

/** Lets every pending promise continuation run (setImmediate must not be mocked). */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Advances mocked time by `ms` in steps of `step` ms, letting promises settle before and after each step. */
export async function advance(timers: { tick(ms: number): void }, ms: number, step = 1): Promise<void> {
  await flush();
  for (let elapsed = 0; elapsed < ms; elapsed += step) {
    timers.tick(Math.min(step, ms - elapsed));
    await flush();
  }
}

/** A promise with its state readable synchronously, to check when exactly it settled. */
export interface Tracked<T> {
  readonly settled: boolean;
  readonly value: T | undefined;
  readonly promise: Promise<T>;
}

/** Tracks a promise's settlement. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const state: { settled: boolean; value: T | undefined } = { settled: false, value: undefined };
  void promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    () => {
      state.settled = true;
    },
  );
  return {
    get settled() {
      return state.settled;
    },
    get value() {
      return state.value;
    },
    promise,
  };
}


type AnyOutcomeKind = Completion | NotCompleted;

/** The value of an outcome (either side), checked to be of `kind`. */
export function outcomeOfKind<K extends AnyOutcomeKind['kind']>(outcome: Outcome, kind: K): Extract<AnyOutcomeKind, { kind: K }> {
  const value: AnyOutcomeKind = outcome.isOk() ? outcome.value : outcome.error;
  assert.equal(value.kind, kind, `expected a ${kind} outcome, got ${JSON.stringify(value, errorsAsText)}`);
  return value as Extract<AnyOutcomeKind, { kind: K }>;
}

/** The result of a completed outcome; fails the test otherwise. */
export function resultOf(outcome: Outcome): unknown {
  if (outcome.isErr() || outcome.value.kind !== 'completed') assert.fail(`expected completed, got ${JSON.stringify(outcome.isErr() ? outcome.error : outcome.value, errorsAsText)}`);
  return outcome.value.result;
}

function errorsAsText(_key: string, value: unknown): unknown {
  return value instanceof Error ? `${value.name}: ${value.message}` : value;
}
