// The ports: what the core asks of the world, implemented by adapters (memory, AMQP, LMDB outbox, Redis).
// Nothing here does I/O; the core and the middleware depend on these interfaces, never on an adapter.
import type { AbortHandle, JobStatus, LogData, LogLevel, RateLimit } from './types.js';

/** Time, so specs can fake it (declared with the context that carries it). */
export type { Clock } from './types.js';

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
  /** Sends one record; resolves once it counts as sent, rejects when it cannot be kept. */
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
  /** Whether this worker already finished the occurrence. */
  has(occurrenceId: string): boolean;
  /** Records that this worker finished the occurrence. */
  add(occurrenceId: string): void;
}

/** What a redelivery says of the delivery before it: `counted` when that one ended with no known outcome (a crash). */
export interface CrashCount {
  /** Deliveries of the occurrence that ended with no known outcome, this redelivery's predecessor included when counted. */
  readonly crashes: number;
  readonly counted: boolean;
}

/** This process's own record of redeliveries, across its restarts (the outbox's LMDB store, or memory). */
export interface RedeliveryRecords {
  /**
   * A redelivery that no run here explains: counts its predecessor as a crash (durably, before it resolves), unless
   * the occurrence was released; a release is used up by the redelivery that follows it.
   */
  noteRedelivery(occurrenceId: string): Promise<CrashCount>;
  /** Its delivery goes back to the queue on purpose (shutdown, a status that could not be recorded): no crash. */
  release(occurrenceId: string): Promise<void>;
}

/**
 * What every process of one WorkerId knows of its occurrences (Redis). It never rejects and never blocks for long:
 * an answer is `undefined` while it cannot be had, and the caller falls back to its own records.
 */
export interface SharedOccurrences {
  /** The occurrence's final status is durable: a redelivery in any process acks it without running it. */
  finish(occurrenceId: string): Promise<void>;
  /** Whether the occurrence finished in any process (asked only for a redelivered delivery). */
  isFinished(occurrenceId: string): Promise<boolean | undefined>;
  noteRedelivery(occurrenceId: string): Promise<CrashCount | undefined>;
  release(occurrenceId: string): Promise<void>;
  /** Attempts running here, claimed for `leaseMs` (refreshed while they run): a redelivery elsewhere waits for them. */
  hold(attempts: readonly Attempt[], leaseMs: number): Promise<void>;
  /** An attempt held here, or whose delivery could not be settled, ended: what its delivery was told. */
  end(attempt: Attempt, ending: AttemptEnding): Promise<void>;
  /** What the processes of the WorkerId know of an attempt ('returned' too when its occurrence was released). */
  attempt(attempt: Attempt): Promise<AttemptState | undefined>;
}

/** One attempt of an occurrence (a retry is the next attempt of the same occurrence). */
export interface Attempt {
  readonly occurrenceId: string;
  readonly retryCount: number;
}

/** How an attempt ended: its delivery owes nothing more ('settled': acked, retried or dead-lettered), or it went back. */
export type AttemptEnding = 'settled' | 'returned';

/** An attempt as the shared records know it: held by a live process, ended, or unknown (never held, or its lease ran out). */
export type AttemptState = { readonly kind: 'running'; readonly holder: string } | { readonly kind: AttemptEnding } | { readonly kind: 'unknown' };

/** One message the outbox hands to the broker: to a queue through the default exchange, with a stable id. */
export interface OutgoingMessage {
  readonly queue: string;
  readonly messageId: string;
  /** Persistent (delivery mode 2) or transient. */
  readonly durable: boolean;
  /** The JSON body, ready to send. */
  readonly body: Buffer;
}

/** The outbox relay's way to the broker: confirmed publishes and the state of the connection behind them. */
export interface MessageChannel {
  /** Publishes one message; resolves on the broker's confirm. */
  publish(message: OutgoingMessage): Promise<void>;
  /** Whether the connection is up now. */
  readonly connected: boolean;
  /** Resolves when the connection is up; rejects after `timeoutMs` (never closes the connection). */
  whenConnected(timeoutMs: number): Promise<void>;
}

/** Maps a record to the queue and the wire message the broker carries (the outbox stores what it will send). */
export type ToWireMessage = (record: SinkRecord) => { readonly queue: string; readonly message: Record<string, unknown> };

/**
 * Why a worker dead-lettered a delivery: a fixed set of codes, so it can be a metric label (the free-text
 * reason goes in the dead letter's `x-dead-letter-reason` header and the log, never in a label).
 */
export type DeadLetterReason =
  /** Above `MaxMessageBytes`: dead-lettered unread. */
  | 'too-large'
  /** Not a job message: not JSON, not an object, missing or invalid fields, no occurrence id. */
  | 'malformed'
  /** No job registered under the message's job name. */
  | 'unknown-job'
  /** The job data failed the job's schema. */
  | 'invalid-data'
  /** The job threw a PermanentJobError. */
  | 'permanent-failure'
  /** The job failed after its last retry. */
  | 'retries-exhausted'
  /** The job failed and no retry middleware handled it. */
  | 'unhandled-failure'
  /** Its deliveries ended with no outcome (the process died) more than Worker:MaxCrashRedeliveries times. */
  | 'crash-loop';

/** Rate limits every process of a WorkerId shares (Redis). */
export interface SharedRateLimits {
  /** Takes the next turn of `bucket` under `limit`: the milliseconds to wait, or `undefined` when no answer came in time. */
  reserve(bucket: string, limit: Pick<RateLimit, 'count' | 'periodSeconds'>): Promise<number | undefined>;
}

/** Slots every process of a WorkerId shares (Redis): at most `cap` of a job running at once, each a lease. */
export interface SharedSlots {
  /**
   * Takes a slot of `job` if fewer than `cap` are held: its lease (kept alive until `release()`), `false` when all
   * are held, or `undefined` when no answer came in time.
   */
  acquire(job: string, cap: number): Promise<{ release(): void } | false | undefined>;
}

/**
 * What a worker tells an observer (the host's metrics) about its deliveries and its outbox. Every method is
 * optional and called inline, once per event, never awaited: implementations must be cheap and must not throw.
 */
export interface WorkerTelemetry {
  /** A delivery of `job` (the registered job whose queue it came from) went to the dead-letter exchange. */
  deadLettered?(job: string, reason: DeadLetterReason): void;
  /** A retry of `job` was published to its delay queue and confirmed by the broker. */
  retryScheduled?(job: string): void;
  /** The outbox relay published an entry and the broker confirmed it `confirmSeconds` after the publish. */
  outboxConfirmed?(confirmSeconds: number): void;
  /** A job of `job` began (+1) or ended (-1) a wait for its rate limit. */
  limitWaiting?(job: string, delta: 1 | -1): void;
  /** A job of `job` waited `seconds` for its rate limit (told only of the jobs that waited). */
  limitWaited?(job: string, seconds: number): void;
}
