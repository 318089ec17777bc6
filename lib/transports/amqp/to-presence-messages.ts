// Pure builders of the worker's registration and heartbeat messages (protocol §2.4, §2.5, §7, §8 rule 5).
import { toJsonSchema } from '@valibot/to-json-schema';
import type { AnyJobDefinition, JobSettings } from '../../core/vocabulary/types.js';
import type { WorkerIdentity } from './to-milvaion-messages.js';

/** One job type as the worker registers it. */
export interface RegisteredJob {
  readonly definition: AnyJobDefinition;
  readonly settings: JobSettings;
  readonly routingPattern: string;
}

/** Host facts sent with the registration. */
export interface HostFacts {
  readonly hostName: string;
  readonly ipAddress: string;
  readonly processorCount: number;
  readonly osVersion: string;
  readonly runtimeVersion: string;
  readonly version: string;
}

/** The JSON Schema string of a job's data schema, for the dashboard's data form; undefined without a schema. */
function toJobDataDefinition(definition: AnyJobDefinition): string | undefined {
  if (definition.schema === undefined) return undefined;
  return toSchemaString(definition.schema, `${definition.name}Data`, {});
}

/**
 * The JSON Schema string of a job's result schema (`JobResultDefinitions`, read by workflows); undefined without
 * one. It describes the schema's output, which is what the worker sends.
 */
export function toJobResultDefinition(definition: AnyJobDefinition): string | undefined {
  if (definition.result === undefined) return undefined;
  return toSchemaString(definition.result, `${definition.name}Result`, { typeMode: 'output' });
}

function toSchemaString(schema: unknown, title: string, config: { typeMode?: 'output' }): string | undefined {
  try {
    const converted = toJsonSchema(schema as never, { errorMode: 'ignore', ...config }) as Record<string, unknown>;
    return JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title, ...converted });
  } catch {
    return undefined;
  }
}

/** The `WorkerDiscoveryRequest` sent to `worker_registration_queue`; `Metadata` is a JSON string with PascalCase keys. */
export function toRegistrationMessage(
  who: WorkerIdentity,
  jobs: readonly RegisteredJob[],
  facts: HostFacts,
  options: { maxParallelJobs: number; heartbeatIntervalSeconds: number; externalScheduler?: string | undefined },
): Record<string, unknown> {
  const routingPatterns: Record<string, string> = {};
  const dataDefinitions: Record<string, string> = {};
  // As the .NET worker: always an object, holding only the jobs that declare a result schema.
  const resultDefinitions: Record<string, string> = {};
  for (const job of jobs) {
    routingPatterns[job.definition.name] = job.routingPattern;
    const data = toJobDataDefinition(job.definition);
    if (data !== undefined) dataDefinitions[job.definition.name] = data;
    const result = toJobResultDefinition(job.definition);
    if (result !== undefined) resultDefinitions[job.definition.name] = result;
  }
  const metadata = {
    ProcessorCount: facts.processorCount,
    OSVersion: facts.osVersion,
    RuntimeVersion: facts.runtimeVersion,
    // Read case-sensitively by the scheduler: these keys must stay PascalCase.
    JobConfigs: jobs.map((job) => ({
      JobType: job.definition.name,
      ConsumerId: job.settings.consumerId,
      MaxParallelJobs: job.settings.maxParallelJobs,
      ExecutionTimeoutSeconds: Math.round(job.settings.timeoutMs / 1000),
    })),
    // A newer scheduler removes instances silent for 3 × HeartbeatInterval; it must be > 0.
    HeartbeatInterval: Math.max(1, Math.round(options.heartbeatIntervalSeconds)),
    // Milvaion 10.1: a process that reports jobs another scheduler runs (createExternalReporter()).
    IsExternal: options.externalScheduler !== undefined,
    ExternalScheduler: options.externalScheduler ?? null,
  };
  return {
    WorkerId: who.workerId,
    InstanceId: who.instanceId,
    DisplayName: `${who.workerId} (${who.instanceId})`,
    HostName: facts.hostName,
    IpAddress: facts.ipAddress,
    RoutingPatterns: routingPatterns,
    JobDataDefinitions: dataDefinitions,
    JobResultDefinitions: resultDefinitions,
    JobTypes: jobs.map((job) => job.definition.name),
    MaxParallelJobs: options.maxParallelJobs,
    Version: facts.version,
    Metadata: JSON.stringify(metadata),
  };
}

/** A `WorkerHeartbeatMessage`; 10.0.11 ignores `IsStopping`, and 10.1 (aa5ac2f) has no `MemoryBytes` or `CpuUsagePercent` yet. */
export function toHeartbeatMessage(
  who: WorkerIdentity,
  state: { currentJobs: number; isStopping: boolean; memoryBytes: number; cpuUsagePercent: number; now: number },
): Record<string, unknown> {
  return {
    WorkerId: who.workerId,
    InstanceId: who.instanceId,
    CurrentJobs: state.currentJobs,
    Timestamp: new Date(state.now).toISOString(),
    IsStopping: state.isStopping,
    MemoryBytes: state.memoryBytes,
    CpuUsagePercent: Math.round(state.cpuUsagePercent * 100) / 100,
  };
}
