// Maps an outcome to Milvaion's final status message (protocol §2.2): exactly one terminal status per occurrence.
import type { Outcome } from './outcome.js';
import type { StatusRecord } from './ports.js';
import { toFinalFields } from './to-final-fields.js';
import type { JobEnvelope } from './types.js';

/** Builds the final status record of an occurrence, or null when a retry was scheduled instead. */
export function toStatusRecord(
  outcome: Outcome,
  envelope: JobEnvelope,
  times: { startTime: number; endTime: number },
): StatusRecord | null {
  const fields = toFinalFields(outcome, envelope.jobName);
  if (fields === null) return null;
  return {
    type: 'status',
    occurrenceId: envelope.occurrenceId,
    correlationId: envelope.correlationId,
    jobId: envelope.jobId,
    jobName: envelope.jobName,
    phase: 'final',
    startTime: times.startTime,
    endTime: times.endTime,
    durationMs: Math.max(0, Math.round(times.endTime - times.startTime)),
    timestamp: times.endTime,
    ...fields,
  };
}
