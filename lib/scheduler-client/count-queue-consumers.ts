// countQueueConsumers(): how many consumers each queue has, from a passive declare's declare-ok (it creates
// nothing). `milvaion-worker dispatch` uses it to see whether a real scheduler already reads its queues.
import type { Connection } from 'rabbitmq-client';
import { amqpErrorCode } from '../transports/amqp/amqp-error-text.js';

/** Consumers per queue; a queue that does not exist has none. */
export async function countQueueConsumers(rabbit: Connection, queues: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const queue of queues) {
    // A channel per queue: a passive declare of a missing queue closes its channel (404 NOT_FOUND).
    const ch = await rabbit.acquire();
    try {
      counts.set(queue, (await ch.queueDeclare({ queue, passive: true })).consumerCount);
    } catch (error) {
      if (amqpErrorCode(error) !== 'NOT_FOUND') throw error;
      counts.set(queue, 0);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }
  return counts;
}
