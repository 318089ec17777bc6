// A BullMQ job definition as Milvaion's external job (`ExternalJobRegistrationMessage`): a job scheduler (or a
// legacy repeatable job) with its cron pattern and next run, or a job name seen on jobs added one by one.
import type { JobSchedulerJson } from 'bullmq';
import type { ExternalJob } from '../external/external-types.js';
import { toExternalJobId } from './to-external-job-id.js';

/** What a definition comes from: a job scheduler, or the name of jobs that no scheduler made. */
export type DefinitionSource = { readonly scheduler: JobSchedulerJson } | { readonly jobName: string };

/** Maps a job scheduler or a job name on the queue `queueName` to the definition Milvaion registers. */
export function toExternalJob(queueName: string, from: DefinitionSource): ExternalJob {
  const tags = ['bullmq', `queue:${queueName}`];
  if ('jobName' in from) {
    return {
      externalJobId: toExternalJobId(queueName, from.jobName),
      displayName: from.jobName,
      description: `BullMQ jobs named "${from.jobName}" on queue "${queueName}", added one by one`,
      jobTypeName: from.jobName,
      tags,
    };
  }
  const s = from.scheduler;
  return {
    externalJobId: toExternalJobId(queueName, s.key),
    displayName: s.key,
    description: `BullMQ job scheduler "${s.key}" on queue "${queueName}": ${toScheduleText(s)}`,
    jobTypeName: s.name,
    cronExpression: s.pattern ?? undefined,
    nextExecuteAt: s.next ?? undefined,
    jobData: s.template?.data,
    tags: [...tags, 'scheduler'],
  };
}

/** The schedule in words, with what Milvaion's cron field cannot hold (the time zone, `every`, limits). */
function toScheduleText(s: JobSchedulerJson): string {
  const parts = [s.pattern !== undefined && s.pattern !== null ? `cron "${s.pattern}"` : s.every !== undefined ? `every ${s.every} ms` : 'no schedule'];
  if (s.tz !== undefined && s.tz !== null) parts.push(`time zone ${s.tz}`);
  if (s.limit !== undefined) parts.push(`at most ${s.limit} runs`);
  if (s.endDate !== undefined) parts.push(`until ${new Date(s.endDate).toISOString()}`);
  return parts.join(', ');
}
