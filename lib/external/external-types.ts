// The external-scheduler reporter's public shapes: jobs that another scheduler (BullMQ, cron, anything) runs,
// reported to Milvaion as Hangfire and Quartz jobs are by Milvaion's .NET packages (protocol §7, §7a).
import type { OutboxSettings } from '../outbox/create-outbox.js';
import type { RabbitMqSettings } from '../transports/amqp/to-amqp-url.js';
import type { TechnicalLogger } from '../core/vocabulary/types.js';

/** A time: a Date or epoch milliseconds. */
export type TimeLike = Date | number;

/** Options of createExternalReporter(). */
export interface ExternalReporterOptions {
  /** The broker, as for a worker (`url` or the parts, `hosts` for a cluster). */
  readonly rabbitmq: RabbitMqSettings;
  /** The WorkerId the external jobs appear under in the dashboard. */
  readonly workerId: string;
  /** The external scheduler's name (`Worker:ExternalScheduler:Source`): `BullMQ`, … */
  readonly source: string;
  /** The durable outbox (required: nothing is lost while the broker is away). */
  readonly outbox: OutboxSettings;
  readonly logger?: TechnicalLogger | undefined;
  /** Seconds between heartbeats (default 30). */
  readonly heartbeatIntervalSeconds?: number | undefined;
  /** This process's id (default `{workerId}-{8 hex}`). */
  readonly instanceId?: string | undefined;
}

/** A job definition of the external scheduler (`ExternalJobRegistrationMessage`). */
export interface ExternalJob {
  /** Stable id of the job in the external scheduler (a BullMQ scheduler key, a job name…); at most 200 characters. */
  readonly externalJobId: string;
  readonly displayName: string;
  readonly description?: string | undefined;
  /** The job's type or handler name. */
  readonly jobTypeName: string;
  /** A cron pattern; 5-field patterns are sent with a leading seconds field ("0 …"), as the scheduler parses 6. */
  readonly cronExpression?: string | undefined;
  readonly nextExecuteAt?: TimeLike | undefined;
  /** The job's data, sent as JSON text. */
  readonly jobData?: unknown;
  /** Default true. */
  readonly isActive?: boolean | undefined;
  readonly tags?: readonly string[] | string | undefined;
}

/** Which execution an event is about. */
export interface ExternalOccurrenceRef {
  readonly externalJobId: string;
  /** The external scheduler's id of this execution (a BullMQ job id): the CorrelationId is derived from it. */
  readonly externalOccurrenceId: string;
  readonly jobTypeName: string;
}

/** An execution that starts (`EventType` Starting). */
export interface ExternalStart extends ExternalOccurrenceRef {
  readonly startTime?: TimeLike | undefined;
  readonly scheduledFireTime?: TimeLike | undefined;
}

/** How an execution ended, as Milvaion shows it. */
export type ExternalOutcome = 'Completed' | 'Failed' | 'Cancelled' | 'TimedOut' | 'Skipped';

/** An execution that ended. */
export interface ExternalEnd extends ExternalOccurrenceRef {
  readonly outcome: ExternalOutcome;
  readonly startTime?: TimeLike | undefined;
  readonly endTime?: TimeLike | undefined;
  /** Default: endTime − startTime when both are known. */
  readonly durationMs?: number | undefined;
  /** An object is sent as its JSON, a string as it is. */
  readonly result?: unknown;
  /** An Error is sent as its type, message and stack. */
  readonly exception?: unknown;
}

/** The reporter. Every method resolves once its message is committed to the outbox (sent later if the broker is away). */
export interface ExternalReporter {
  readonly workerId: string;
  readonly instanceId: string;
  readonly source: string;
  /** Connects, starts the relay, registers the worker (Metadata.IsExternal) and starts heartbeats. */
  start(): Promise<void>;
  /** Registers or updates a job definition; the worker's registration is re-sent when its job list grows. */
  registerJob(job: ExternalJob): Promise<void>;
  /** Reports an execution's start; resolves with its CorrelationId. */
  starting(event: ExternalStart): Promise<string>;
  /** Reports an execution's end (Skipped is sent as Vetoed, after a Starting, so that it is shown). */
  finished(event: ExternalEnd): Promise<string>;
  /** The CorrelationId of an execution: a UUID derived from the source, the job id and the occurrence id. */
  correlationIdOf(ref: Pick<ExternalOccurrenceRef, 'externalJobId' | 'externalOccurrenceId'>): string;
  /** Stops heartbeats, sends what the outbox holds (up to `drainMs`, default 5000) and closes. */
  close(options?: { drainMs?: number }): Promise<void>;
}
