// declareJobQueue() / prefillJobQueue(): the benchmarks' job queue, declared exactly as the worker declares it
// (the jobs exchange, the queue with its dead-letter arguments, the binding), and filled before a worker starts.
import type { Connection } from 'rabbitmq-client';
import { toDispatchEnvelope, toDispatchMessage } from '../../lib/scheduler-client/create-scheduler-client.ts';
import type { QueueType } from '../../lib/transports/amqp/create-amqp-publisher.ts';
import { jobQueueArguments } from '../../lib/transports/amqp/create-amqp-source.ts';
import { MilvaionNames, toJobQueueName, toRoutingPattern } from '../../lib/transports/amqp/milvaion-names.ts';
import { prefill } from './prefill.ts';

/** Declares `jobName`'s queue of `workerId` and its binding; returns the queue's name. */
export async function declareJobQueue(connection: Connection, workerId: string, jobName: string, queueType: QueueType = 'Classic'): Promise<string> {
  const routingPattern = toRoutingPattern(workerId, jobName);
  const queue = toJobQueueName(routingPattern);
  await connection.exchangeDeclare({ exchange: MilvaionNames.jobsExchange, type: 'topic', durable: true });
  await connection.queueDeclare({ queue, durable: true, exclusive: false, autoDelete: false, arguments: jobQueueArguments(queueType) });
  await connection.queueBind({ queue, exchange: MilvaionNames.jobsExchange, routingKey: routingPattern });
  return queue;
}

/** Declares the queue and publishes `count` dispatch messages to it, as the scheduler does; returns its name. */
export async function prefillJobQueue(connection: Connection, workerId: string, jobName: string, count: number, queueType: QueueType = 'Classic'): Promise<string> {
  const queue = await declareJobQueue(connection, workerId, jobName, queueType);
  await prefill(connection, count, () => toDispatchEnvelope(toDispatchMessage({ jobName, workerId })));
  return queue;
}
