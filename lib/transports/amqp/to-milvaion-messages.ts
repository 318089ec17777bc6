// Pure mappings between the runtime's records and Milvaion's wire messages (protocol §2.2–§2.7, §8).
// PascalCase keys, numeric enums, ISO-8601 UTC times; nothing here does I/O.
import { JobStatus, type JobEnvelope } from '../../core/vocabulary/types.js';
import { type LogRecord, type StatusRecord } from '../../core/vocabulary/ports.js';
import { int32, type Int32Header } from './int32-headers.js';
import { isoTime } from '../../core/util/iso-time.js';

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
