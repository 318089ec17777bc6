// The AMQP wire mapping of sink records, as a worker passes it to its outbox (statuses and logs to their queues).
import { MilvaionNames } from '../../lib/amqp.ts';
import { toLogMessage, toStatusMessage } from '../../lib/transports/amqp/to-milvaion-messages.ts';
import type { SinkRecord } from '../../lib/core/vocabulary/ports.ts';

/** The wire mapping of a worker with this identity. */
export function wireOf(identity: { workerId: string; instanceId: string }) {
  return (record: SinkRecord) =>
    record.type === 'status'
      ? { queue: MilvaionNames.statusUpdatesQueue, message: toStatusMessage(record, identity) }
      : { queue: MilvaionNames.workerLogsQueue, message: toLogMessage(record, identity) };
}
