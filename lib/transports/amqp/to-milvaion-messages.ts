// Pure mappings between the runtime's records and Milvaion's wire messages (protocol §2.2–§2.7, §8).
// PascalCase keys, numeric enums, ISO-8601 UTC times; nothing here does I/O.
import { formatException } from '../../core/format-exception.js';
import { JobStatus, type JobEnvelope } from '../../core/types.js';
import { type DeadLetterReason, type LogRecord, type StatusRecord } from '../../core/ports.js';
import { type Outcome } from '../../core/outcome.js';
import { int32, type Int32Header } from './int32-headers.js';
import { isoTime } from '../../core/iso-time.js';

/** Who is speaking: the worker group id and this process's instance id. */
export interface WorkerIdentity {
  readonly workerId: string;
  readonly instanceId: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : isoTime(ms));

/**
 * A `JobStatusUpdateMessage`. Both `CorrelationId` (release 10.0.11) and `OccurrenceId` (newer schedulers)
 * carry the occurrence id; `WorkerId` is the group id and `InstanceId` this process (§8 rule 3).
 */
export function toStatusMessage(record: StatusRecord, who: WorkerIdentity): Record<string, unknown> {
  return {
    CorrelationId: record.correlationId,
    OccurrenceId: record.occurrenceId,
    JobId: record.jobId,
    WorkerId: who.workerId,
    InstanceId: who.instanceId,
    Status: record.status,
    StartTime: iso(record.startTime),
    EndTime: iso(record.endTime),
    DurationMs: record.durationMs,
    Result: record.result,
    Exception: record.exception,
    MessageTimestamp: iso(record.timestamp),
  };
}

/**
 * A single `WorkerLogMessage` (§8 rule 4: old collectors read no batch format). With `RabbitMQ:LogBatching`
 * these are wrapped in WorkerLogBatchMessages (to-log-batch-body.ts) for Milvaion 10.1 schedulers.
 */
export function toLogMessage(record: LogRecord, who: WorkerIdentity): Record<string, unknown> {
  return {
    CorrelationId: record.correlationId,
    OccurrenceId: record.occurrenceId,
    WorkerId: who.instanceId, // the .NET SDK sends its instance id here
    Log: {
      Timestamp: iso(record.timestamp),
      Level: record.level,
      Message: record.message,
      Data: record.data,
      Category: record.category,
      ExceptionType: record.exceptionType,
    },
    MessageTimestamp: iso(record.timestamp),
  };
}

/** The `FailureType` of a dead-lettered occurrence (its log notice), as the .NET SDK names them. */
export type DlqFailureType = 'MaxRetriesExceeded' | 'PermanentFailure' | 'UnhandledException' | 'InvalidJobData' | 'UnknownJob';

/** The reason code (a metric label) of each failure type. */
export const DEAD_LETTER_REASONS: Readonly<Record<DlqFailureType, DeadLetterReason>> = {
  MaxRetriesExceeded: 'retries-exhausted',
  PermanentFailure: 'permanent-failure',
  UnhandledException: 'unhandled-failure',
  InvalidJobData: 'invalid-data',
  UnknownJob: 'unknown-job',
};

/** What the source does with a delivery once the executor returned. */
export type AmqpAction =
  | { readonly kind: 'ack' }
  /** Give the delivery back to the broker: the job was interrupted by this worker's shutdown. */
  | { readonly kind: 'requeue' }
  | { readonly kind: 'retry'; readonly delayMs: number; readonly retryCount: number }
  | {
      readonly kind: 'dead-letter';
      /** The DlqJobMessage's Exception text. */
      readonly exception: string;
      /** `x-retry-count` and `MaxRetries` headers, as the .NET SDK sets them per case. */
      readonly retryCountHeader: number;
      readonly maxRetriesHeader: number;
      readonly failureType: DlqFailureType;
    };

/**
 * Maps an outcome to the transport action (protocol §1.5, §2.7): completed, cancelled, timed out and skipped
 * are acked; a scheduled retry is republished with a delay; exhausted retries, permanent errors, invalid
 * data and unknown jobs go to the dead-letter exchange.
 */
export function toAmqpAction(outcome: Outcome, envelope: JobEnvelope, maxRetries: number): AmqpAction {
  if (outcome.isOk()) return { kind: 'ack' };
  const f = outcome.error;
  switch (f.kind) {
    case 'retry-scheduled':
      return { kind: 'retry', delayMs: f.delayMs, retryCount: f.nextRetryCount };
    case 'failed':
      if (f.retriesExhausted !== undefined) {
        return {
          kind: 'dead-letter',
          exception: `Max retries (${f.retriesExhausted}) exceeded. Original exception: ${formatException(f.error)}`,
          retryCountHeader: f.retriesExhausted,
          maxRetriesHeader: f.retriesExhausted,
          failureType: 'MaxRetriesExceeded',
        };
      }
      if (f.permanent) {
        return {
          kind: 'dead-letter',
          exception: `[PERMANENT FAILURE] ${formatException(f.error)}`,
          retryCountHeader: envelope.retryCount,
          maxRetriesHeader: 0,
          failureType: 'PermanentFailure',
        };
      }
      // A transient failure that no retry middleware handled: dead-letter it rather than loop.
      return {
        kind: 'dead-letter',
        exception: formatException(f.error),
        retryCountHeader: envelope.retryCount,
        maxRetriesHeader: maxRetries,
        failureType: 'UnhandledException',
      };
    case 'invalid-data':
      return {
        kind: 'dead-letter',
        exception: `[PERMANENT FAILURE] Invalid job data for ${envelope.jobName}: ${f.issues.join('; ')}`,
        retryCountHeader: envelope.retryCount,
        maxRetriesHeader: 0,
        failureType: 'InvalidJobData',
      };
    case 'unknown-job':
      return {
        kind: 'dead-letter',
        exception: `No job registered for type: ${f.jobName}`,
        retryCountHeader: envelope.retryCount,
        maxRetriesHeader: 0,
        failureType: 'UnknownJob',
      };
    case 'cancelled':
      // Shutdown is not a cancel: the job did not run to its end, so another worker (or this one after a
      // restart) takes it again. A user's cancel is final.
      return f.source === 'shutdown' ? { kind: 'requeue' } : { kind: 'ack' };
    case 'timed-out':
      return { kind: 'ack' };
    default:
      return f satisfies never;
  }
}

/** The `DlqJobMessage` body (PascalCase, Status always Failed) for a dead-lettered occurrence. */
export function toDlqMessage(envelope: JobEnvelope, exception: string): Record<string, unknown> {
  return {
    Id: envelope.jobId,
    DisplayName: envelope.displayName ?? envelope.jobName,
    JobNameInWorker: envelope.jobName,
    JobData: envelope.jobData ?? null,
    ExecuteAt: envelope.executeAt ?? null,
    Status: JobStatus.Failed,
    Exception: exception,
  };
}

/** Headers of a retry or DLQ publish: the original ones, with CorrelationId and the int32 counters set. */
export function toRepublishHeaders(
  envelope: JobEnvelope,
  retryCount: number,
  maxRetries: number,
): Record<string, unknown | Int32Header> {
  const headers: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(envelope.headers)) {
    // The broker's own dead-letter bookkeeping is not ours to copy.
    if (key !== 'x-death' && !key.startsWith('x-first-death') && !key.startsWith('x-last-death')) headers[key] = value;
  }
  headers['CorrelationId'] = envelope.correlationId;
  headers['x-retry-count'] = int32(retryCount);
  headers['MaxRetries'] = int32(maxRetries);
  return headers;
}
