// The ExternalJobId of a BullMQ job definition: `{queue}:{scheduler key}` or `{queue}:{job name}`. Milvaion
// stores it as the job's JobNameInWorker (at most 200 characters), so a longer one is shortened with a hash.
import { createHash } from 'node:crypto';

/** The longest ExternalJobId Milvaion stores (`ScheduledJob.JobNameInWorker`). */
export const MAX_EXTERNAL_JOB_ID = 200;

/** The ExternalJobId of `key` (a scheduler key or a job name) on the queue `queueName`; at most 200 characters. */
export function toExternalJobId(queueName: string, key: string): string {
  const id = `${queueName}:${key}`;
  if (id.length <= MAX_EXTERNAL_JOB_ID) return id;
  // A longer id would fail the scheduler's insert and, with it, the whole registration batch it came in.
  const hash = createHash('sha1').update(id).digest('hex').slice(0, 16);
  return `${id.slice(0, MAX_EXTERNAL_JOB_ID - hash.length - 1)}~${hash}`;
}
