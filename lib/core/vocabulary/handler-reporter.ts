// The serverless handler's port to the scheduler: where a run's statuses and logs go, and what is published
// after it (a retry copy, a dead letter). Implemented over RabbitMQ by createHandlerReporter() (milvaion-worker/amqp),
// so the main entry loads no broker client.
import type { Outcome } from './outcome.js';
import type { LogRecord, StatusRecord } from './ports.js';
import type { JobEnvelope } from './types.js';

/** One run of a job message, as the handler hands it to its reporter once the executor returned. */
export interface HandlerRun {
  readonly envelope: JobEnvelope;
  readonly outcome: Outcome;
  /** The job queue the message came from (an Amazon MQ event names it); a retry goes back to it. */
  readonly queue: string | undefined;
  /** The virtual host of that queue: a retry can go back to it only through a connection to the same one. */
  readonly virtualHost?: string | undefined;
  /** The job's MaxRetries, for the dead letter's headers. */
  readonly maxRetries: number;
}

/** A message that is not a job message, to be dead-lettered as received. */
export interface UnreadableMessage {
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly correlationId?: string | undefined;
  readonly contentType?: string | undefined;
  /** The queue it came from, named in the log line. */
  readonly queue?: string | undefined;
}

/** What the reporter published for a message besides its statuses and logs. */
export type HandlerSettlement = 'none' | 'retry' | 'dead-letter';

/**
 * Reports a handler's runs to Milvaion as a worker would. Every method resolves once the broker confirmed what
 * it published, and rejects when it could not be published (the message then counts as not handled).
 */
export interface HandlerReporter {
  /** Receives the Running, the log lines and the final status of every run (the worker's sink). */
  readonly sink: {
    /** Sends one record; resolves once the broker confirmed it. */
    write(record: StatusRecord | LogRecord): Promise<void>;
  };
  /** Publishes what the worker publishes after this outcome: a retry copy through a delay queue, or a dead letter. */
  settle(run: HandlerRun): Promise<HandlerSettlement>;
  /** Dead-letters a message that is not a job message, with the reason in a header. */
  deadLetterRaw(message: UnreadableMessage, reason: string): Promise<void>;
}
