// Which Milvaion occurrence a BullMQ job is: one per job id, under its scheduler's definition when a job
// scheduler made it, else under its name's.
import type { ExternalOccurrenceRef } from '../external/external-types.js';
import { toExternalJobId } from './to-external-job-id.js';
import type { JobView } from './to-job-view.js';

/** The occurrence of `job` (all its attempts) on the queue `queueName`. */
export function toOccurrenceRef(queueName: string, job: JobView & { readonly id: string }): ExternalOccurrenceRef {
  return {
    externalJobId: toExternalJobId(queueName, job.repeatJobKey ?? job.name),
    externalOccurrenceId: job.id,
    jobTypeName: job.name,
  };
}
