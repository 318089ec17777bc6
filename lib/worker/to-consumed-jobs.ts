// The job types a worker consumes: each definition with its resolved settings, its routing pattern (configured,
// or `{workerId}.{job}`) and its queue; and whether a job's timeout is the user's choice.
import type { Executor } from '../core/engine/create-executor.js';
import type { AnyJobDefinition, JobDefaults } from '../core/vocabulary/types.js';
import type { ConsumedJob } from '../transports/amqp/create-amqp-source.js';
import { toJobQueueName, toRoutingPattern } from '../transports/amqp/milvaion-names.js';

/** Each job definition as a consumer of its queue. */
export function toConsumedJobs(definitions: readonly AnyJobDefinition[], executor: Executor, workerId: string): ConsumedJob[] {
  return definitions.map((definition) => {
    const settings = executor.settings(definition.name);
    const routingPattern = settings.routingPattern || toRoutingPattern(workerId, definition.name);
    return { definition, settings, routingPattern, queue: toJobQueueName(routingPattern) };
  });
}

/**
 * Whether a job's timeout was set by the user (its defineJob() defaults or its configuration) rather than left
 * to the built-in 3600 s. Only a timeout someone chose is warned about: a warning on defaults is noise.
 */
export function timeoutSetByUser(options: { readonly jobs: readonly AnyJobDefinition[]; readonly jobConfig?: ((jobName: string) => JobDefaults | undefined) | undefined }, jobName: string): boolean {
  const definition = options.jobs.find((j) => j.name === jobName);
  return definition?.defaults?.executionTimeoutSeconds !== undefined || options.jobConfig?.(jobName)?.executionTimeoutSeconds !== undefined;
}
