// A BullMQ job's final state as the end of its Milvaion occurrence: the last attempt's start and end, its
// duration, the return value as JSON (Completed) or the error (Failed).
import type { ExternalEnd, ExternalOccurrenceRef } from '../external/external-types.js';
import type { JobView } from './to-job-view.js';

/** How a job ended, as its event tells it. */
export type JobEnd =
  | { readonly outcome: 'Completed'; readonly result: unknown; readonly endTime?: number | undefined }
  | { readonly outcome: 'Failed'; readonly error: unknown; readonly endTime?: number | undefined };

/** The end of `job`'s occurrence; `end.endTime` stands in when BullMQ's finishedOn is not known (a removed job). */
export function toExternalEnd(ref: ExternalOccurrenceRef, job: JobView, end: JobEnd): ExternalEnd {
  const startTime = job.processedOn ?? undefined;
  const endTime = job.finishedOn ?? end.endTime;
  const durationMs = startTime !== undefined && endTime !== undefined ? Math.max(0, endTime - startTime) : undefined;
  const base = { ...ref, startTime, endTime, durationMs };
  return end.outcome === 'Completed' ? { ...base, outcome: 'Completed', result: toResultJson(end.result) } : { ...base, outcome: 'Failed', exception: end.error };
}

/** The return value as JSON text (a string too, quoted); nothing for undefined or null. */
function toResultJson(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  try {
    return JSON.stringify(value) ?? undefined;
  } catch {
    return String(value);
  }
}
