// Pure builders of Milvaion 10.1's external-scheduler messages (protocol §7, §7a; the scheduler reads them with
// System.Text.Json: PascalCase keys, enums as numbers, ISO-8601 UTC times, nulls present).
import { formatException } from '../core/engine/format-exception.js';
import { toResultString } from '../core/engine/to-result-string.js';
import { JobStatus } from '../core/vocabulary/types.js';
import type { ExternalEnd, ExternalJob, ExternalOutcome, ExternalStart, TimeLike } from './external-types.js';

/** `ExternalOccurrenceEventType`. */
export const ExternalEventType = { Starting: 0, Completed: 1, Vetoed: 2, Cancelled: 3 } as const;

/** Who reports: the WorkerId and the external scheduler's name. */
export interface ExternalSender {
  readonly workerId: string;
  readonly source: string;
}

const iso = (t: TimeLike | undefined): string | null => (t === undefined ? null : new Date(t).toISOString());

/** A 5-field cron gets a leading seconds field: the scheduler parses cron with seconds (6 fields). */
function toSixFieldCron(cron: string | undefined): string | null {
  if (cron === undefined || cron.trim() === '') return null;
  const fields = cron.trim().split(/\s+/);
  return fields.length === 5 ? `0 ${fields.join(' ')}` : fields.join(' ');
}

/** An `ExternalJobRegistrationMessage`. */
export function toRegistrationMessage(job: ExternalJob, who: ExternalSender, now: number): Record<string, unknown> {
  const tags = typeof job.tags === 'string' ? job.tags : job.tags?.join(',');
  return {
    ExternalJobId: job.externalJobId,
    DisplayName: job.displayName,
    Description: job.description ?? null,
    JobTypeName: job.jobTypeName,
    CronExpression: toSixFieldCron(job.cronExpression),
    NextExecuteAt: iso(job.nextExecuteAt),
    JobData: job.jobData === undefined ? null : JSON.stringify(job.jobData),
    IsActive: job.isActive ?? true,
    Source: who.source,
    WorkerId: who.workerId,
    Tags: tags === undefined || tags === '' ? null : tags,
    MessageTimestamp: new Date(now).toISOString(),
  };
}

/** An execution's end as `EventType` and `Status`: Cancelled and Skipped (a veto) have event types of their own. */
function toEventAndStatus(outcome: ExternalOutcome): { eventType: number; status: number } {
  switch (outcome) {
    case 'Completed':
      return { eventType: ExternalEventType.Completed, status: JobStatus.Completed };
    case 'Failed':
      return { eventType: ExternalEventType.Completed, status: JobStatus.Failed };
    case 'TimedOut':
      return { eventType: ExternalEventType.Completed, status: JobStatus.TimedOut };
    case 'Cancelled':
      return { eventType: ExternalEventType.Cancelled, status: JobStatus.Cancelled };
    case 'Skipped':
      return { eventType: ExternalEventType.Vetoed, status: JobStatus.Skipped };
  }
}

/** An `ExternalJobOccurrenceMessage` for a start (`end` undefined) or an end. */
export function toOccurrenceMessage(event: ExternalStart | ExternalEnd, correlationId: string, who: ExternalSender, now: number): Record<string, unknown> {
  const end = 'outcome' in event ? event : undefined;
  const { eventType, status } = end === undefined ? { eventType: ExternalEventType.Starting, status: JobStatus.Running } : toEventAndStatus(end.outcome);
  const start = event.startTime ?? (end === undefined ? now : undefined);
  const endTime = end === undefined ? undefined : (end.endTime ?? now);
  const duration = end?.durationMs ?? (start !== undefined && endTime !== undefined ? Number(endTime) - Number(start) : undefined);
  return {
    ExternalJobId: event.externalJobId,
    ExternalOccurrenceId: event.externalOccurrenceId,
    CorrelationId: correlationId,
    JobTypeName: event.jobTypeName,
    WorkerId: who.workerId,
    EventType: eventType,
    Status: status,
    ScheduledFireTime: iso('scheduledFireTime' in event ? event.scheduledFireTime : undefined),
    ActualFireTime: end === undefined ? iso(start) : null,
    StartTime: iso(start),
    EndTime: iso(endTime),
    DurationMs: duration === undefined ? null : Math.max(0, Math.round(duration)),
    // A Completed without a result says so in words, as a worker's does; other ends carry a result only when given one.
    Result: end === undefined || (end.result === undefined && end.outcome !== 'Completed') ? null : toResultString(end.result, event.jobTypeName),
    Exception: end?.exception === undefined ? null : formatException(end.exception),
    Source: who.source,
    MessageTimestamp: new Date(now).toISOString(),
  };
}
