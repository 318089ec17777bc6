// The shared Sink contract run against the AMQP publisher (createAmqpPublisher) on the real RabbitMQ, in a
// throwaway vhost; what arrived is read back from the status and log queues.
import { Connection } from 'rabbitmq-client';
import { MilvaionNames } from '../../../lib/amqp.ts';
import { createAmqpPublisher } from '../../../lib/transports/amqp/create-amqp-publisher.ts';
import { useAdminVhost } from '../../support/amqp-harness.ts';
import { createQueueReader } from '../../support/amqp-queue-reader.ts';
import { silentLogger } from '../../support/loggers.ts';
import { available, needs } from '../../support/services.ts';
import { fromWire, sinkContract } from '../../support/sink-contract.ts';

const { url, admin } = useAdminVhost('spec-sink-contract-amqp', available('rabbitmq'));

sinkContract(
  'AMQP publisher',
  async () => {
    const reader = createQueueReader(admin(), [MilvaionNames.statusUpdatesQueue, MilvaionNames.workerLogsQueue]);
    await reader.reset();
    const connection = new Connection({ url, retryLow: 100, retryHigh: 500 });
    connection.on('error', () => undefined);
    const publisher = createAmqpPublisher({ connection, identity: { workerId: 'spec-sink', instanceId: 'spec-sink-1' }, logger: silentLogger });
    const delivered = async () => (await reader.drain()).map((m) => fromWire(m.body));
    return {
      sink: publisher,
      sent: delivered,
      received: async (done) => (await reader.until((messages) => done(messages.map((m) => fromWire(m.body))))).map((m) => fromWire(m.body)),
      async close() {
        await publisher.close();
        await connection.close();
      },
    };
  },
  { orderWithinKindOnly: true, suite: needs('rabbitmq') },
);
