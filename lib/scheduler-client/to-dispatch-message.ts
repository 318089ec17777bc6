// The scheduler's job message, built exactly as the Milvaion scheduler builds it (protocol §1.6, §2.1):
// the camelCase ScheduledJob body, the headers, and the AMQP properties. Pure: nothing is published here.
import { randomUUID } from 'node:crypto';
import type { Envelope } from 'rabbitmq-client';
import { MilvaionNames, toDispatchRoutingKey, toRoutingPattern } from '../transports/amqp/milvaion-names.js';

/** One job to dispatch, as the scheduler would create it. */
export interface DispatchOptions {
  readonly jobName: string;
  readonly workerId: string;
  /** JSON-encoded into the `jobData` string; ignored when `rawJobData` is given. With neither, `jobData` is absent. */
  readonly data?: unknown;
  /** Sent verbatim as `jobData`. */
  readonly rawJobData?: string;
  /** Default `toRoutingPattern(workerId, jobName)`. */
  readonly routingPattern?: string;
  readonly executionTimeoutSeconds?: number;
  readonly occurrenceId?: string;
  readonly jobId?: string;
  readonly displayName?: string;
  /** Default now, whole seconds (the scheduler fills it from a ZSET score in seconds). */
  readonly executeAt?: Date;
  /** Extra or overriding headers; a key set to `undefined` removes that header. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** Which header carries the occurrence id: `CorrelationId` (release 10.0.11, default), `OccurrenceId` (newer) or both. */
  readonly occurrenceHeader?: 'CorrelationId' | 'OccurrenceId' | 'both';
}

/** What was dispatched: ids, routing and the exact body and headers sent. */
export interface DispatchedJob {
  readonly occurrenceId: string;
  readonly jobId: string;
  readonly routingPattern: string;
  readonly routingKey: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, unknown>>;
}

/** Returns a new occurrence id (a random UUID). */
export function newOccurrenceId(): string {
  return randomUUID();
}

/** The AMQP properties and body the scheduler publishes a dispatched job with (protocol §1.6). */
export function toDispatchEnvelope(job: DispatchedJob): { envelope: Envelope; body: Buffer } {
  return {
    envelope: {
      exchange: MilvaionNames.jobsExchange,
      routingKey: job.routingKey,
      durable: true,
      contentType: 'application/json',
      messageId: job.jobId,
      correlationId: job.occurrenceId,
      timestamp: Math.floor(Date.now() / 1000),
      priority: 0,
      headers: { ...job.headers },
    },
    // A Buffer, so rabbitmq-client leaves contentType alone.
    body: Buffer.from(JSON.stringify(job.body), 'utf8'),
  };
}

/** Builds the scheduler's job message for `job` without publishing it. */
export function toDispatchMessage(job: DispatchOptions): DispatchedJob {
  const occurrenceId = job.occurrenceId ?? newOccurrenceId();
  const jobId = job.jobId ?? randomUUID();
  const routingPattern = job.routingPattern ?? toRoutingPattern(job.workerId, job.jobName);
  const routingKey = toDispatchRoutingKey(routingPattern);
  const executeAt = new Date(Math.floor((job.executeAt ?? new Date()).getTime() / 1000) * 1000);
  const jobData = job.rawJobData ?? (job.data === undefined ? undefined : JSON.stringify(job.data));
  // camelCase ScheduledJob with nulls omitted, as the scheduler's System.Text.Json options write it.
  const body: Record<string, unknown> = {
    id: jobId,
    displayName: job.displayName ?? job.jobName,
    jobNameInWorker: job.jobName,
    ...(jobData === undefined ? {} : { jobData }),
    executeAt: executeAt.toISOString().replace('.000Z', 'Z'),
    isActive: true,
    concurrentExecutionPolicy: 1,
    workerId: job.workerId,
    routingPattern,
    ...(job.executionTimeoutSeconds === undefined ? {} : { executionTimeoutSeconds: job.executionTimeoutSeconds }),
    version: 1,
    jobVersions: [],
  };
  const which = job.occurrenceHeader ?? 'CorrelationId';
  const headers: Record<string, unknown> = {
    JobType: job.jobName,
    ExecuteAt: executeAt.toISOString().replace('.000Z', '.0000000Z'), // .NET "O" format: 7 fractional digits
    IsRecurring: false,
    ...(which === 'OccurrenceId' ? {} : { CorrelationId: occurrenceId }),
    ...(which === 'CorrelationId' ? {} : { OccurrenceId: occurrenceId }),
    RoutingKey: routingKey,
    WorkerId: job.workerId,
  };
  for (const [key, value] of Object.entries(job.headers ?? {})) {
    if (value === undefined) delete headers[key];
    else headers[key] = value;
  }
  return { occurrenceId, jobId, routingPattern, routingKey, body, headers };
}
