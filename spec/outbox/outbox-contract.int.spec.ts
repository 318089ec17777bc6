// The shared Sink contract run against the LMDB outbox (createOutbox) with the real store and the real
// RabbitMQ channel (toMessageChannel) in a throwaway vhost: with status coalescing off, and on (the default).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { Connection } from 'rabbitmq-client';
import { MilvaionNames } from '../../lib/amqp.ts';
import { createAmqpPublisher } from '../../lib/transports/amqp/create-amqp-publisher.ts';
import { createOutbox } from '../../lib/outbox/create-outbox.ts';
import { toMessageChannel } from '../../lib/transports/amqp/to-message-channel.ts';
import { useAdminVhost } from '../support/amqp-harness.ts';
import { createQueueReader } from '../support/amqp-queue-reader.ts';
import { silentLogger } from '../support/loggers.ts';
import { available, needs } from '../support/services.ts';
import { fromWire, sinkContract, type DeliveredRecord, type SinkSubject } from '../support/sink-contract.ts';

const { url, admin } = useAdminVhost('spec-sink-contract-outbox', available('rabbitmq'));
const root = mkdtempSync(path.join(tmpdir(), 'outbox-contract-'));
let stores = 0;
after(() => rmSync(root, { recursive: true, force: true }));

/** An outbox in a fresh folder whose relay publishes to the vhost; `sent` is what is durable in LMDB or already in a queue. */
async function outboxSubject(coalesceStatuses: boolean): Promise<SinkSubject> {
  const reader = createQueueReader(admin(), [MilvaionNames.statusUpdatesQueue, MilvaionNames.workerLogsQueue]);
  await reader.reset();
  const connection = new Connection({ url, retryLow: 100, retryHigh: 500 });
  connection.on('error', () => undefined);
  // As the worker wires it: the relay's publisher never retries by itself (the relay keeps the order).
  const publisher = createAmqpPublisher({ connection, identity: { workerId: 'spec-outbox', instanceId: 'spec-outbox-1' }, logger: silentLogger, maxAttempts: 1 });
  const outbox = createOutbox({
    settings: { localStoragePath: path.join(root, `store-${++stores}`), coalesceStatuses },
    channel: toMessageChannel(publisher, connection),
    toWire: publisher.toWire,
    logger: silentLogger,
  });
  outbox.start();
  return {
    sink: outbox,
    async sent() {
      // The store first: an entry leaves it only after its confirm, so by the time the queues are read it is there.
      const stored = outbox.store.read(0, Number.MAX_SAFE_INTEGER).map((e) => ({ id: e.messageId, record: fromWire(JSON.parse(e.body.toString('utf8')) as Record<string, unknown>) }));
      const queued = (await reader.drain()).map((m) => ({ id: m.messageId, record: fromWire(m.body) }));
      const byId = new Map<string | undefined, DeliveredRecord>();
      for (const { id, record } of [...queued, ...stored]) byId.set(id, record);
      return [...byId.values()];
    },
    received: async (done) => (await reader.until((messages) => done(messages.map((m) => fromWire(m.body))))).map((m) => fromWire(m.body)),
    async close() {
      await outbox.close({ drainMs: 10_000 });
      await publisher.close();
      await connection.close();
    },
  };
}

sinkContract('LMDB outbox, coalescing off', () => outboxSubject(false), { orderWithinKindOnly: true, suite: needs('rabbitmq') });
sinkContract('LMDB outbox, coalescing on', () => outboxSubject(true), { orderWithinKindOnly: true, mayCoalesceRunning: true, suite: needs('rabbitmq') });
