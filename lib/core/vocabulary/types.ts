// The runtime's vocabulary: envelopes, job definitions, contexts and middleware. Outcomes are in outcome.ts,
// the ports adapters implement in ports.ts. Nothing in this file does I/O.
import type { AwilixContainer } from 'awilix';
import type { GenericSchema } from 'valibot';
import type { JobAbortError } from './job-abort-error.js';
import type { Outcome } from './outcome.js';

/**
 * Milvaion's `JobOccurrenceStatus` values as sent on the wire (numbers, never strings). Only the scheduler
 * sets Unknown (zombie detection) and Skipped (release 10.1: a workflow step whose condition was false).
 */
export const JobStatus = {
  Queued: 0,
  Running: 1,
  Completed: 2,
  Failed: 3,
  Cancelled: 4,
  TimedOut: 5,
  Unknown: 6,
  Skipped: 7,
} as const;
/** One of the numeric {@link JobStatus} values. */
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** User-log levels exactly as the Milvaion dashboard expects them (`LogLevel.ToString()` in .NET). */
export type LogLevel = 'Debug' | 'Information' | 'Warning' | 'Error';

/**
 * Services available to every job through `ctx.services`. Augment it to type your own registrations:
 * `declare module 'milvaion-worker' { interface Services { mailer: Mailer } }`.
 */
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
  /** How often the job may start (`JobConsumers:<Job>:RateLimit` over defineJob's `rateLimit`); absent: no limit. */
  readonly rateLimit?: RateLimit | undefined;
  /** At most this many of the job run at once across every process of the WorkerId, retries included; absent: no cap. */
  readonly maxParallelJobsGlobal?: number | undefined;
}

/**
 * A rate limit: at most `count` starts of a job in any window of `periodSeconds`, spaced evenly (period / count
 * apart, no burst). A job over it waits for its turn before it starts; it is never skipped or failed.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a limit built apart from its job fits any job's data
export interface RateLimit<TData = any> {
  readonly count: number;
  readonly periodSeconds: number;
  /**
   * `process` (the default): each process has the limit; `shared`: every process of the WorkerId shares it,
   * through the worker's Redis (per process again, with a warning, while Redis is away).
   */
  readonly scope?: 'process' | 'shared' | undefined;
  /**
   * Each value of this key has its own limit (a tenant, a customer): a dot path into the job's data
   * (`customer.id`), or a function of the job's data. A job whose data has no such value shares the job's common limit.
   */
  readonly key?: string | ((data: TData) => unknown) | undefined;
  /** The most keys limited at once in a process (default 10,000): the least recently used beyond it is forgotten. */
  readonly maxKeys?: number | undefined;
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
  /** How often the job may start; see {@link RateLimit}. */
  readonly rateLimit?: RateLimit;
  /**
   * At most this many of the job run at once across every process of the WorkerId, retries and redeliveries
   * included (a slot in the worker's Redis, a lease a dead process loses within 15 s); 0 or absent: no such cap.
   */
  readonly maxParallelJobsGlobal?: number;
}

/** Structured data attached to a user log line. */
export type LogData = Readonly<Record<string, unknown>>;

/**
 * The one logger interface: the operator's console (createLogger(), a worker's `logger` option; consola-compatible,
 * any arguments) and a job's dashboard log (`ctx.log`: `Logger<LogData | Error>`, where an Error adds its type and
 * stack).
 */
export interface Logger<TData = unknown> {
  /** Writes a Debug line. */
  debug(message: string, ...data: TData[]): void;
  /** Writes an Information line. */
  info(message: string, ...data: TData[]): void;
  /** Writes a Warning line. */
  warn(message: string, ...data: TData[]): void;
  /** Writes an Error line. */
  error(message: string, ...data: TData[]): void;
}

/** A job's logger that the runtime (retry notices, redelivery warnings) can also write to with its own category. */
export type RuntimeLogger = ExecutionContext['log'];

/** A technical logger (consola-compatible subset) for the operator's console, not the dashboard. */
export type { Logger as TechnicalLogger };

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
  readonly log: Logger<LogData | Error>;
  /** This execution's DI scope (awilix cradle): scoped services are fresh per execution. */
  readonly services: Services;
}

/**
 * A registered job: its name, data and result schemas, defaults and the function that runs it. `TInput` (the data
 * schema's input, what a dispatch must send) and `TName` (the name as a literal) let typed dispatch check both.
 */
export interface JobDefinition<TData = unknown, TResult = unknown, TInput = unknown, TName extends string = string> {
  readonly kind: 'milvaion-job';
  readonly name: TName;
  readonly schema: GenericSchema<TInput, TData> | undefined;
  /** Validates what `run` returns before it is sent; its output is the result (defineJob's `result`). */
  readonly result?: GenericSchema<TResult, unknown> | undefined;
  readonly defaults: JobDefaults;
  /** Decides from a thrown error whether another attempt may help (defineJob's `retryIf`). */
  readonly retryIf: ((error: unknown, info: { readonly retryCount: number }) => boolean) | undefined;
  /** The job itself: returns its result or throws. */
  readonly run: (data: TData, ctx: JobContext) => TResult | Promise<TResult>;
}

/** Any job definition, whatever its data and result types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJobDefinition = JobDefinition<any, any, any>;

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
  /**
   * Aborts the execution: what cancellation, shutdown and timeout use. The first reason wins; aborting ends the
   * current attempt at once, even when the job ignores its signal.
   */
  readonly abort: {
    /** The job's signal; `signal.reason` is the {@link JobAbortError}. */
    readonly signal: AbortSignal;
    /** Why it aborted; undefined until it does. */
    readonly reason: JobAbortError | undefined;
    /** Aborts the execution with `reason`; later calls change nothing. */
    abort(reason: JobAbortError): void;
    /** Calls `listener` once when the handle aborts (at once if it already has). */
    onAbort(listener: (reason: JobAbortError) => void): void;
  };
  /** The job's dashboard log; `write` adds a level and a category (the runtime's own: Execution, Retry…; default UserCode). */
  readonly log: Logger<LogData | Error> & {
    /** Writes a line at `level` under `category` (default UserCode). */
    write(level: LogLevel, message: string, data?: LogData | Error | null, category?: string): void;
  };
  /** The operator's console. */
  readonly logger: Logger;
  readonly scope: AwilixContainer | undefined;
  /** The runtime's time source (specs fake it): read `clock.now()` for timings. */
  readonly clock: {
    /** The current time in epoch milliseconds. */
    now(): number;
  };
}

/** The abort handle of one execution (cancellation, shutdown and timeout abort it; the first reason wins). */
export type AbortHandle = ExecutionContext['abort'];

/** Time, so specs can fake it. */
export type Clock = ExecutionContext['clock'];

/** Decides from a thrown error whether another attempt may help. */
export type RetryPredicate = NonNullable<JobDefinition['retryIf']>;

/** Continues the pipeline; may be called more than once (retry), never concurrently. */
export type Next = (ctx?: ExecutionContext) => Promise<Outcome>;

/** One layer of the onion. Returning `Promise<Outcome>` makes a forgotten `return next()` a type error. */
export type Middleware = (ctx: ExecutionContext, next: Next) => Promise<Outcome>;
