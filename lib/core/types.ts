// The runtime's vocabulary: envelopes, job definitions, contexts, outcomes, middleware and ports.
// Nothing in this file does I/O; adapters (AMQP, LMDB, Redis, memory) implement the ports declared here.
import type { Result } from 'neverthrow';
import type { AwilixContainer } from 'awilix';
import type { GenericSchema } from 'valibot';

/** Milvaion's `JobOccurrenceStatus` values as sent on the wire (numbers, never strings). */
export const JobStatus = {
  Queued: 0,
  Running: 1,
  Completed: 2,
  Failed: 3,
  Cancelled: 4,
  TimedOut: 5,
  Unknown: 6,
} as const;
/** One of the numeric {@link JobStatus} values. */
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** User-log levels exactly as the Milvaion dashboard expects them (`LogLevel.ToString()` in .NET). */
export type LogLevel = 'Debug' | 'Information' | 'Warning' | 'Error';

/**
 * Services available to every job through `ctx.services`. Augment it to type your own registrations:
 * `declare module 'milvaion-worker' { interface Services { mailer: Mailer } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Services {}

/** A parsed, validated job message, independent of the transport it came from. */
export interface JobEnvelope {
  /** The scheduled job's id (not the occurrence id). */
  readonly jobId: string;
  /** The job name the scheduler asks for (`jobNameInWorker`). */
  readonly jobName: string;
  /** The raw `jobData` JSON string, as it arrived (may be undefined or empty). */
  readonly jobData: string | undefined;
  readonly occurrenceId: string;
  readonly correlationId: string;
  /** How many times this occurrence was already retried (0 on the first delivery). */
  readonly retryCount: number;
  /** The transport says this message was delivered before (a lost ack, a crashed worker). */
  readonly redelivered: boolean;
  /** Per-job timeout sent by the scheduler; overrides configuration when present. */
  readonly executionTimeoutSeconds?: number | undefined;
  readonly version: number;
  readonly displayName?: string | undefined;
  readonly executeAt?: string | undefined;
  /** Transport headers, for tracing and diagnostics. */
  readonly headers: Readonly<Record<string, unknown>>;
  /** The message body as received, kept for retries and dead-lettering. */
  readonly body?: Readonly<Record<string, unknown>> | undefined;
}

/** Per-job settings after merging defineJob() defaults, configuration and the message's overrides. */
export interface JobSettings {
  readonly consumerId: string;
  readonly maxParallelJobs: number;
  /** Per-attempt execution timeout in ms; 0 disables it. */
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly baseRetryDelayMs: number;
  readonly logUserFriendlyLogsViaLogger: boolean;
  readonly routingPattern?: string | undefined;
}

/** Per-job defaults accepted by defineJob(), in the units of the .NET `JobConsumers` section. */
export interface JobDefaults {
  readonly consumerId?: string;
  readonly maxParallelJobs?: number;
  readonly executionTimeoutSeconds?: number;
  readonly maxRetries?: number;
  readonly baseRetryDelaySeconds?: number;
  readonly routingPattern?: string;
  readonly logUserFriendlyLogsViaLogger?: boolean;
}

/** Structured data attached to a user log line. */
export type LogData = Readonly<Record<string, unknown>>;

/** The user-friendly logger handed to jobs; lines reach the dashboard through the sink. */
export interface JobLogger {
  debug(message: string, data?: LogData | Error): void;
  info(message: string, data?: LogData | Error): void;
  warn(message: string, data?: LogData | Error): void;
  error(message: string, data?: LogData | Error): void;
}

/** A JobLogger that the runtime (retry notices, redelivery warnings) can also write to with its own category. */
export interface RuntimeLogger extends JobLogger {
  write(level: LogLevel, message: string, data?: LogData | Error | null, category?: string): void;
}

/** What a job function receives besides its data. */
export interface JobContext {
  readonly job: {
    readonly id: string;
    readonly name: string;
    /** The raw `jobData` string. */
    readonly data: string | undefined;
    readonly version: number;
  };
  readonly occurrence: {
    readonly id: string;
    readonly correlationId: string;
    readonly retryCount: number;
    readonly maxRetries: number;
    readonly redelivered: boolean;
  };
  /** Fires on cancellation, timeout or shutdown; `signal.reason` is a {@link JobAbortError}. */
  readonly signal: AbortSignal;
  readonly log: JobLogger;
  /** This execution's DI scope (awilix cradle): scoped services are fresh per execution. */
  readonly services: Services;
}

/** Decides from a thrown error whether another attempt may help. */
export type RetryPredicate = (error: unknown, info: { readonly retryCount: number }) => boolean;

/** A registered job: its name, data schema, defaults and the function that runs it. */
export interface JobDefinition<TData = unknown, TResult = unknown> {
  readonly kind: 'milvaion-job';
  readonly name: string;
  readonly schema: GenericSchema<unknown, TData> | undefined;
  readonly defaults: JobDefaults;
  readonly retryIf: RetryPredicate | undefined;
  readonly run: (data: TData, ctx: JobContext) => TResult | Promise<TResult>;
}

/** Any job definition, whatever its data and result types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJobDefinition = JobDefinition<any, any>;

/** The job ran to its end. */
export interface Completed {
  readonly kind: 'completed';
  readonly result: unknown;
}

/** Why an execution did not complete; every switch over `kind` is exhaustive. */
export type JobFailure =
  | {
      readonly kind: 'failed';
      readonly error: unknown;
      /** No retry can help (PermanentJobError, retryIf said no, invalid data). */
      readonly permanent: boolean;
      /** Set once the retry budget is used up: the number of retries that were made. */
      readonly retriesExhausted?: number | undefined;
    }
  | { readonly kind: 'timed-out'; readonly timeoutMs: number; readonly elapsedMs: number }
  | { readonly kind: 'cancelled'; readonly reason: string; readonly source: AbortSource }
  | { readonly kind: 'invalid-data'; readonly issues: readonly string[] }
  | { readonly kind: 'unknown-job'; readonly jobName: string }
  | { readonly kind: 'skipped'; readonly reason: string }
  | {
      /** A retry decision the transport carries out (scheduled mode): nothing waits in-process. */
      readonly kind: 'retry-scheduled';
      readonly delayMs: number;
      readonly nextRetryCount: number;
      readonly error: unknown;
    };

/** The result of one execution through the pipeline. */
export type Outcome = Result<Completed, JobFailure>;

/** Who aborted a job's signal. */
export type AbortSource = 'user' | 'shutdown' | 'timeout' | 'filter';

/** The reason carried by an aborted job signal, so a job can tell cancel, timeout and shutdown apart. */
export class JobAbortError extends Error {
  override readonly name = 'JobAbortError';
  constructor(
    readonly source: AbortSource,
    message: string,
    /** For timeouts: the budget that was exceeded. */
    readonly timeoutMs?: number,
  ) {
    super(message);
  }
}

/**
 * The abort handle of one execution. Cancellation, shutdown and timeout all abort it; the first reason
 * wins. Aborting ends the current attempt at once, even when the job ignores its signal.
 */
export interface AbortHandle {
  /** The job's signal; `signal.reason` is the {@link JobAbortError}. */
  readonly signal: AbortSignal;
  readonly reason: JobAbortError | undefined;
  abort(reason: JobAbortError): void;
  /** Calls `listener` once when the handle aborts (at once if it already has). */
  onAbort(listener: (reason: JobAbortError) => void): void;
}

/** A technical logger (consola-compatible subset) for the operator's console, not the dashboard. */
export interface TechnicalLogger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/** The context every middleware sees; read-only: pass a derived copy to `next` to change it. */
export interface ExecutionContext {
  readonly envelope: JobEnvelope;
  /** Undefined only when no job matches `envelope.jobName`. */
  readonly definition: AnyJobDefinition | undefined;
  readonly settings: JobSettings;
  /** The retry count of the attempt about to run (grows with in-process retries). */
  readonly retryCount: number;
  /** The execution's signal (the same as `abort.signal` unless a middleware passed a narrower one). */
  readonly signal: AbortSignal;
  /** Aborts the execution: what cancellation, shutdown and timeout use. */
  readonly abort: AbortHandle;
  readonly log: RuntimeLogger;
  readonly logger: TechnicalLogger;
  readonly scope: AwilixContainer | undefined;
  readonly clock: Clock;
}

/** Continues the pipeline; may be called more than once (retry), never concurrently. */
export type Next = (ctx?: ExecutionContext) => Promise<Outcome>;

/** One layer of the onion. Returning `Promise<Outcome>` makes a forgotten `return next()` a type error. */
export type Middleware = (ctx: ExecutionContext, next: Next) => Promise<Outcome>;

/** Time, so specs can fake it. */
export interface Clock {
  now(): number;
}

/** A status change of one occurrence, transport-neutral (the AMQP mapping adds worker identity). */
export interface StatusRecord {
  readonly type: 'status';
  readonly occurrenceId: string;
  readonly correlationId: string;
  readonly jobId: string;
  readonly jobName: string;
  readonly status: JobStatus;
  /** `start` = Running at pickup, `heartbeat` = Running with null times, `final` = terminal status. */
  readonly phase: 'start' | 'heartbeat' | 'final';
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly durationMs: number | null;
  readonly result: string | null;
  readonly exception: string | null;
  readonly timestamp: number;
}

/** One user-friendly log line of one occurrence. */
export interface LogRecord {
  readonly type: 'log';
  readonly occurrenceId: string;
  readonly correlationId: string;
  readonly jobName: string;
  readonly timestamp: number;
  readonly level: LogLevel;
  readonly message: string;
  readonly data: LogData | null;
  readonly category: string;
  readonly exceptionType: string | null;
}

/** Anything a sink carries to the scheduler. */
export type SinkRecord = StatusRecord | LogRecord;

/**
 * Where statuses and logs go (memory, direct publisher, LMDB outbox). `write` resolves once the record
 * counts as sent: durable in an outbox, confirmed by a broker, or stored in memory.
 */
export interface Sink {
  write(record: SinkRecord): Promise<void>;
}

/** Lets cancellation reach a running occurrence by id (Redis, the memory transport, tests). */
export interface CancellationRegistry {
  /** Registers a running occurrence's abort handle. */
  register(occurrenceId: string, handle: AbortHandle): void;
  /** Unregisters it once the execution is over. */
  unregister(occurrenceId: string, handle: AbortHandle): void;
  /** Aborts the occurrence if it runs here; returns whether it did. */
  cancel(occurrenceId: string, reason: string): boolean;
  /** Whether a cancel arrived for this occurrence while it waited for a scheduled retry. */
  isCancelled(occurrenceId: string): string | undefined;
  /** Marks an occurrence as waiting for a scheduled retry, so a cancel meanwhile is remembered. */
  awaitRetry(occurrenceId: string, untilMs: number): void;
  /** Forgets a waiting or cancelled occurrence. */
  forget(occurrenceId: string): void;
}

/** Occurrences this worker already finished, so a redelivery is acked without running again. */
export interface FinishedOccurrences {
  has(occurrenceId: string): boolean;
  add(occurrenceId: string): void;
}
