import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { defineJob } from '../../../lib/define-job.ts';
import { JobStatus, type JobEnvelope } from '../../../lib/core/vocabulary/types.ts';
import type { StatusRecord } from '../../../lib/core/vocabulary/ports.ts';
import { resolveSettings } from '../../../lib/core/engine/resolve-settings.ts';
import { toDlqMessage, toLogMessage, toRepublishHeaders, toStatusMessage } from '../../../lib/transports/amqp/to-milvaion-messages.ts';
import { toHeartbeatMessage, toRegistrationMessage } from '../../../lib/transports/amqp/to-presence-messages.ts';
import { makeEnvelope } from '../../support/envelopes.ts';

const who = { workerId: 'email-worker', instanceId: 'email-worker-1a2b3c4d' };
const OCC = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const JOB = '0f8fad5b-d9cb-469f-a165-70867728950e';
const envelope: JobEnvelope = makeEnvelope('SendEmailJob', {
  jobId: JOB, jobData: '{"to":"a@b.io"}', occurrenceId: OCC, correlationId: OCC, retryCount: 2, displayName: 'Welcome mail', executeAt: '2026-11-28T10:00:00Z',
  headers: { JobType: 'SendEmailJob', CorrelationId: OCC, 'x-retry-count': 2, 'x-death': [{}], traceparent: '00-abc' },
});

describe('status and log messages', () => {
  it('sends PascalCase keys, numeric status, ISO UTC times and both occurrence keys', () => {
    const record: StatusRecord = {
      type: 'status', occurrenceId: OCC, correlationId: OCC, jobId: JOB, jobName: 'SendEmailJob', status: JobStatus.Completed, phase: 'final',
      startTime: Date.UTC(2026, 10, 28, 10, 0, 0), endTime: Date.UTC(2026, 10, 28, 10, 0, 1, 250), durationMs: 1250, result: 'done', exception: null,
      timestamp: Date.UTC(2026, 10, 28, 10, 0, 1, 250),
    };
    assert.deepEqual(toStatusMessage(record, who), {
      CorrelationId: OCC, OccurrenceId: OCC, JobId: JOB, WorkerId: 'email-worker', InstanceId: 'email-worker-1a2b3c4d', Status: 2,
      StartTime: '2026-11-28T10:00:00.000Z', EndTime: '2026-11-28T10:00:01.250Z', DurationMs: 1250, Result: 'done', Exception: null,
      MessageTimestamp: '2026-11-28T10:00:01.250Z',
    });
  });

  it('sends a single WorkerLogMessage with the .NET level names', () => {
    const message = toLogMessage(
      { type: 'log', occurrenceId: OCC, correlationId: OCC, jobName: 'X', timestamp: 0, level: 'Warning', message: 'm', data: { a: 1 }, category: 'UserCode', exceptionType: null },
      who,
    );
    assert.deepEqual(message['Log'], { Timestamp: '1970-01-01T00:00:00.000Z', Level: 'Warning', Message: 'm', Data: { a: 1 }, Category: 'UserCode', ExceptionType: null });
    assert.equal(message['CorrelationId'], OCC);
    assert.equal(message['WorkerId'], who.instanceId);
  });
});

describe('DLQ and republish', () => {
  it('builds the DlqJobMessage body', () => {
    assert.deepEqual(toDlqMessage(envelope, 'why'), {
      Id: JOB, DisplayName: 'Welcome mail', JobNameInWorker: 'SendEmailJob', JobData: '{"to":"a@b.io"}', ExecuteAt: '2026-11-28T10:00:00Z', Status: 3, Exception: 'why',
    });
  });

  it('keeps the original headers (tracing included), drops x-death and marks the counters int32', () => {
    const headers = toRepublishHeaders(envelope, 3, 5);
    assert.equal(headers['x-death'], undefined);
    assert.equal(headers['traceparent'], '00-abc');
    assert.equal(headers['CorrelationId'], OCC);
    assert.equal((headers['x-retry-count'] as { value: number }).value, 3);
    assert.equal((headers['MaxRetries'] as { value: number }).value, 5);
  });
});

describe('registration and heartbeat', () => {
  const job = defineJob({ name: 'SendEmailJob', data: v.object({ to: v.pipe(v.string(), v.email()), cc: v.optional(v.array(v.string())) }), maxParallelJobs: 4, run: () => 1 });
  const plain = defineJob({ name: 'PlainJob', run: () => 1 });
  const facts = { hostName: 'h', ipAddress: '10.0.0.1', processorCount: 2, osVersion: 'Linux', runtimeVersion: 'Node.js v20', version: '0.1.0' };

  it('lists every job type with its pattern, a JSON-string Metadata with PascalCase JobConfigs and HeartbeatInterval, and data schemas', () => {
    const message = toRegistrationMessage(
      who,
      [
        { definition: job, settings: resolveSettings(job), routingPattern: 'email-worker.sendemail.*' },
        { definition: plain, settings: resolveSettings(plain), routingPattern: 'email-worker.plain.*' },
      ],
      facts,
      { maxParallelJobs: 8, heartbeatIntervalSeconds: 5 },
    );
    assert.deepEqual(message['JobTypes'], ['SendEmailJob', 'PlainJob']);
    assert.deepEqual(message['RoutingPatterns'], { SendEmailJob: 'email-worker.sendemail.*', PlainJob: 'email-worker.plain.*' });
    assert.equal(message['MaxParallelJobs'], 8);
    assert.equal(message['DisplayName'], 'email-worker (email-worker-1a2b3c4d)');
    assert.equal(typeof message['Metadata'], 'string');
    const metadata = JSON.parse(message['Metadata'] as string);
    assert.equal(metadata.HeartbeatInterval, 5);
    assert.deepEqual(metadata.JobConfigs[0], { JobType: 'SendEmailJob', ConsumerId: 'SendEmailJob', MaxParallelJobs: 4, ExecutionTimeoutSeconds: 3600 });
    const definitions = message['JobDataDefinitions'] as Record<string, string>;
    assert.deepEqual(Object.keys(definitions), ['SendEmailJob']);
    const schema = JSON.parse(definitions['SendEmailJob']!);
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema.type, 'object');
    assert.deepEqual(schema.required, ['to']);
    assert.equal(schema.properties.to.format, 'email');
  });

  it('heartbeats carry CurrentJobs, IsStopping and resource use', () => {
    const beat = toHeartbeatMessage(who, { currentJobs: 3, isStopping: true, memoryBytes: 1024, cpuUsagePercent: 12.345, now: 0 });
    assert.deepEqual(beat, { WorkerId: 'email-worker', InstanceId: 'email-worker-1a2b3c4d', CurrentJobs: 3, Timestamp: '1970-01-01T00:00:00.000Z', IsStopping: true, MemoryBytes: 1024, CpuUsagePercent: 12.35 });
  });
});
