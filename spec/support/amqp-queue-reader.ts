// Reads what reached RabbitMQ queues with basic.get, for contract specs that must tell "already in the
// queue" from "still on its way" (a consumer would take messages at its own pace). Used in throwaway vhosts.
import type { Connection, SyncMessage } from 'rabbitmq-client';

/** One message taken from a queue. */
interface ReadMessage {
  readonly queue: string;
  readonly messageId: string | undefined;
  /** The JSON body (parsed here when the client handed bytes). */
  readonly body: Readonly<Record<string, unknown>>;
}

/** Takes messages from a fixed set of queues and keeps them, in arrival order per queue. */
export interface QueueReader {
  /** Declares the queues (durable, no arguments, as protocol §1.2) and empties them. */
  reset(): Promise<void>;
  /** Takes every message waiting now; returns everything taken so far. */
  drain(): Promise<readonly ReadMessage[]>;
  /** Drains until `done` holds for what was taken; rejects after `timeoutMs`. */
  until(done: (messages: readonly ReadMessage[]) => boolean, timeoutMs?: number): Promise<readonly ReadMessage[]>;
}

function toBody(message: SyncMessage): Readonly<Record<string, unknown>> {
  const raw: unknown = message.body;
  if (Buffer.isBuffer(raw) || typeof raw === 'string') return JSON.parse(raw.toString()) as Record<string, unknown>;
  return raw as Record<string, unknown>;
}

/** Creates a reader over `queues` on an open connection. */
export function createQueueReader(connection: Connection, queues: readonly string[]): QueueReader {
  const taken: ReadMessage[] = [];
  const drain = async () => {
    for (const queue of queues) {
      for (;;) {
        const message = await connection.basicGet({ queue, noAck: true });
        if (message === undefined) break;
        taken.push({ queue, messageId: message.messageId, body: toBody(message) });
      }
    }
    return taken;
  };
  return {
    async reset() {
      for (const queue of queues) {
        await connection.queueDeclare({ queue, durable: true });
        await connection.queuePurge({ queue });
      }
      taken.length = 0;
    },
    drain,
    async until(done, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (done(await drain())) return taken;
        if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms; ${taken.length} messages arrived from ${queues.join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
