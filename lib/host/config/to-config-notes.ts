// The info lines about keys of a .NET appsettings.json that are accepted but mean nothing here: upstream's SDK
// or its sample files carry them, and .NET's binder ignores what it does not bind, so a refusal would break a
// file that runs with the .NET SDK. One line per key, however many jobs set it.
import type { AppSettings } from './config-schema.js';
import { toRedisTarget } from '../../control/redis/to-redis-target.js';

/** The info lines for accepted keys that this runtime does not read (empty when none is set). */
export function toConfigNotes(settings: AppSettings): string[] {
  const notes: string[] = [];
  const routingKeyPattern = settings.Worker?.RabbitMQ?.RoutingKeyPattern;
  if (routingKeyPattern !== undefined && routingKeyPattern.trim() !== '') {
    notes.push(
      'Worker:RabbitMQ:RoutingKeyPattern is ignored, as the .NET SDK ignores it too (it replaces it with each job\'s RoutingPattern): set JobConsumers:<Job>:RoutingPattern instead',
    );
  }
  const perWorker = Object.entries(settings.JobConsumers ?? {})
    .filter(([, consumer]) => consumer.MaxParallelJobsPerWorker !== undefined)
    .map(([name]) => name);
  if (perWorker.length > 0) {
    const key = perWorker.length === 1 ? `JobConsumers:${perWorker[0]!}:MaxParallelJobsPerWorker` : `JobConsumers:<Job>:MaxParallelJobsPerWorker (set for ${perWorker.join(', ')})`;
    notes.push(`${key} is ignored: upstream's sample files carry it, but neither the .NET SDK nor the scheduler reads it; the scheduler caps each job type by its MaxParallelJobs`);
  }
  // StackExchange.Redis options a .NET connection string carries that mean nothing here (docs/configuration.md, Redis).
  const redis = settings.Worker?.Redis?.ConnectionString;
  if (redis !== undefined && redis.trim() !== '') {
    const ignored = toRedisTarget({ connectionString: redis }).match((t) => t.ignoredOptions, () => []);
    for (const option of ignored) notes.push(`Worker:Redis:ConnectionString option ${option} is accepted and ignored`);
  }
  return notes;
}
