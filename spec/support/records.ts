// Sink records for specs: Running, final statuses and log lines of an occurrence, with valid ids.
import { randomUUID } from 'node:crypto';
import { JobStatus, type LogData, type LogRecord, type StatusRecord } from '../../lib/index.ts';

/** A fresh occurrence id (a UUID, as the wire format wants). */
export const newOccurrence = (): string => randomUUID();

/** A status record of an occurrence: Running at `start`, Completed at `final` unless `status` says otherwise. */
export function statusRecord(occurrenceId: string, phase: StatusRecord['phase'], overrides: Partial<StatusRecord> = {}): StatusRecord {
  const now = overrides.timestamp ?? Date.now();
  const final = phase === 'final';
  return {
    type: 'status',
    occurrenceId,
    correlationId: occurrenceId,
    jobId: '10000000-0000-4000-8000-000000000001',
    jobName: 'SpecJob',
    status: final ? JobStatus.Completed : JobStatus.Running,
    phase,
    startTime: phase === 'heartbeat' ? null : now,
    endTime: final ? now : null,
    durationMs: final ? 0 : null,
    result: final ? 'done' : null,
    exception: null,
    timestamp: now,
    ...overrides,
  };
}

/** A user log line of an occurrence. */
export function logRecord(occurrenceId: string, message: string, data: LogData | null = null, overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    type: 'log',
    occurrenceId,
    correlationId: occurrenceId,
    jobName: 'SpecJob',
    timestamp: Date.now(),
    level: 'Information',
    message,
    data,
    category: 'UserCode',
    exceptionType: null,
    ...overrides,
  };
}
