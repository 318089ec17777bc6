// Job envelopes for specs: valid ids by default, each call with a fresh occurrence id.
import type { JobEnvelope } from '../../lib/index.ts';

let sequence = 0;

/** Builds an envelope for `jobName` with a fresh occurrence id; `overrides` win. */
export function makeEnvelope(jobName: string, overrides: Partial<JobEnvelope> = {}): JobEnvelope {
  const n = String(++sequence).padStart(12, '0');
  const occurrenceId = `00000000-0000-4000-8000-${n}`;
  return {
    jobId: `10000000-0000-4000-8000-${n}`,
    jobName,
    jobData: undefined,
    occurrenceId,
    correlationId: occurrenceId,
    retryCount: 0,
    redelivered: false,
    version: 1,
    headers: {},
    ...overrides,
  };
}
