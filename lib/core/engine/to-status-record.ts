// The one builder of status records (protocol §2.2): Running at pickup, job heartbeats, the final status of an
// execution (its texts from toVerdict()) and the Cancelled of a job that never ran.
import type { StatusRecord } from '../vocabulary/ports.js';
import type { JobEnvelope, JobStatus } from '../vocabulary/types.js';

/** What a status record says besides whose it is; no result or exception means null. */
export interface StatusFields {
  readonly status: JobStatus;
  readonly phase: StatusRecord['phase'];
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly timestamp: number;
  readonly result?: string | null | undefined;
  readonly exception?: string | null | undefined;
}

/** Builds a status record of the occurrence of `envelope`; the duration is the whole milliseconds between start and end, never negative. */
export function toStatusRecord(envelope: JobEnvelope, fields: StatusFields): StatusRecord {
  const { startTime, endTime } = fields;
  return {
    type: 'status',
    occurrenceId: envelope.occurrenceId,
    correlationId: envelope.correlationId,
    jobId: envelope.jobId,
    jobName: envelope.jobName,
    status: fields.status,
    phase: fields.phase,
    startTime,
    endTime,
    durationMs: startTime === null || endTime === null ? null : Math.max(0, Math.round(endTime - startTime)),
    result: fields.result ?? null,
    exception: fields.exception ?? null,
    timestamp: fields.timestamp,
  };
}
