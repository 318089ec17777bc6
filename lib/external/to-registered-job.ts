// An external job as the worker registration lists it: the scheduler creates an external job only for a worker
// whose JobTypes name it. The fields are those the .NET packages register (ExternalJobRegistry.RegisterJob).
import type { AnyJobDefinition, JobSettings } from '../core/vocabulary/types.js';
import type { RegisteredJob } from '../transports/amqp/to-presence-messages.js';

/** The routing pattern the .NET packages give external jobs (nothing is ever published to it). */
const EXTERNAL_ROUTING_PATTERN = 'external.job.*';

/** A registration entry for an external job id: one at a time, an hour's timeout, no data or result schema. */
export function toRegisteredJob(externalJobId: string): RegisteredJob {
  const settings: JobSettings = {
    consumerId: externalJobId,
    maxParallelJobs: 1,
    timeoutMs: 3_600_000,
    maxRetries: 0,
    baseRetryDelayMs: 0,
    logUserFriendlyLogsViaLogger: false,
    routingPattern: EXTERNAL_ROUTING_PATTERN,
  };
  // Only the name (and no schema) of a definition is read for the registration.
  const definition = { name: externalJobId, schema: undefined, result: undefined } as unknown as AnyJobDefinition;
  return { definition, settings, routingPattern: EXTERNAL_ROUTING_PATTERN };
}
