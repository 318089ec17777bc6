// What a worker checks a redelivery against: its own redelivery records (the outbox's store, or memory) and,
// with Redis configured, the records every process of its WorkerId shares, kept as long as the outbox keeps
// its finished occurrences (RecordRetentionDays).
import { createRedeliveryCounts } from '../core/engine/create-redelivery-counts.js';
import { WorkerDefaults } from '../core/vocabulary/defaults.js';
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import { createSharedOccurrences, type SharedOccurrenceRecords } from '../control/redis/create-shared-occurrences.js';
import type { RedeliveryKnowledge } from '../transports/amqp/check-redelivery.js';
import type { RedisSettings } from '../control/redis/parse-cancellation.js';
import type { OutboxSettings } from '../outbox/create-outbox.js';
import type { Reporting } from './create-reporting.js';

/** The worker options it reads (createAmqpWorker's). */
interface KnowledgeOptions {
  readonly workerId: string;
  readonly redis?: RedisSettings | false;
  readonly outbox?: OutboxSettings | false;
  readonly sharedOccurrenceRecords?: boolean;
  readonly maxCrashRedeliveries?: number;
}

/** The knowledge, and the shared records' connection when there is one (started and closed with the worker). */
export function createRedeliveryKnowledge(options: KnowledgeOptions, instanceId: string, reporting: Reporting, logger: TechnicalLogger): { knowledge: RedeliveryKnowledge; shared: SharedOccurrenceRecords | undefined } {
  const retentionDays = (options.outbox ? options.outbox.recordRetentionDays : undefined) ?? WorkerDefaults.offlineResilience.recordRetentionDays;
  const shared =
    options.redis && (options.sharedOccurrenceRecords ?? WorkerDefaults.sharedOccurrenceRecords)
      ? createSharedOccurrences({ settings: options.redis, workerId: options.workerId, holder: instanceId, retentionMs: retentionDays * 86_400_000, logger })
      : undefined;
  const knowledge: RedeliveryKnowledge = {
    records: reporting.outbox?.redeliveries ?? createRedeliveryCounts(),
    shared,
    maxCrashRedeliveries: options.maxCrashRedeliveries ?? WorkerDefaults.maxCrashRedeliveries,
  };
  return { knowledge, shared };
}
