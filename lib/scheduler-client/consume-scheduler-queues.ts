// The scheduler's side of the broker, as the scheduler client sets it up: the jobs and dead-letter exchanges,
// the five collected queues (declared exactly as protocol §1.2 says, optionally purged), and a consumer on each.
import type { AsyncMessage, Connection, Consumer } from 'rabbitmq-client';
import { MilvaionNames } from '../transports/amqp/milvaion-names.js';
import { queueTypeArguments, type QueueType } from '../transports/amqp/create-amqp-publisher.js';
import { describeError } from './describe-error.js';

/** The topic exchange jobs are dispatched to. */
export const JOBS_EXCHANGE = { exchange: MilvaionNames.jobsExchange, type: 'topic', durable: true } as const;
const DLX = { exchange: MilvaionNames.deadLetterExchange, type: 'direct', durable: true } as const;

/** What consumeSchedulerQueues() declares and consumes, and where it reports. */
export interface ConsumeSchedulerQueuesOptions {
  /** The collected queue names; `deadLetters` is bound to the dead-letter exchange. */
  readonly names: Readonly<Record<string, string>> & { readonly deadLetters: string };
  readonly purge: boolean;
  readonly timeoutMs: number;
  /** Receives every consumer as it is created, so a failed start can close the ones already made. */
  readonly consumers: Consumer[];
  readonly errors: unknown[];
  readonly onMessage: (queue: string, msg: AsyncMessage) => void;
  /** The deployment's `QueueType`: quorum queues are declared with `x-queue-type: quorum`, as workers declare them. */
  readonly queueType?: QueueType | undefined;
  /** Queues declared without arguments whatever the queue type (the scheduler's external-scheduler queues). */
  readonly plain?: readonly string[] | undefined;
}

/** Declares the exchanges and queues on a connecting `rabbit`, then consumes each queue; resolves once every consumer is ready. */
export async function consumeSchedulerQueues(rabbit: Connection, options: ConsumeSchedulerQueuesOptions): Promise<void> {
  const { names, timeoutMs } = options;
  const dlqBinding = { queue: names.deadLetters, exchange: DLX.exchange, routingKey: MilvaionNames.deadLetterRoutingKey };
  await rabbit.onConnect(timeoutMs);
  await rabbit.exchangeDeclare(JOBS_EXCHANGE);
  await rabbit.exchangeDeclare(DLX);
  // Durable, no other arguments: the exact declaration of protocol §1.2 (and the workers'), or the broker answers 406.
  const typed = { durable: true, arguments: queueTypeArguments(options.queueType ?? 'Classic') };
  const optionsOf = (queue: string) => (options.plain?.includes(queue) === true ? { durable: true } : typed);
  for (const queue of Object.values(names)) {
    await rabbit.queueDeclare({ queue, ...optionsOf(queue) });
    if (options.purge) await rabbit.queuePurge({ queue });
  }
  await rabbit.queueBind(dlqBinding);
  for (const queue of Object.values(names)) {
    const consumer = rabbit.createConsumer(
      { queue, queueOptions: optionsOf(queue), qos: { prefetchCount: 100 }, ...(queue === names.deadLetters ? { exchanges: [DLX], queueBindings: [dlqBinding] } : {}) },
      (msg) => options.onMessage(queue, msg),
    );
    consumer.on('error', (error) => options.errors.push(error));
    options.consumers.push(consumer);
    await whenReady(consumer, timeoutMs, queue);
  }
}

function whenReady(consumer: Consumer, timeoutMs: number, queue: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let last: unknown;
    const onError = (error: unknown) => (last = error);
    const timer = setTimeout(() => {
      consumer.off('error', onError);
      reject(new Error(`consumer of ${queue} not ready after ${timeoutMs} ms${last === undefined ? '' : `: ${describeError(last)}`}`));
    }, timeoutMs);
    consumer.on('error', onError);
    consumer.once('ready', () => {
      clearTimeout(timer);
      consumer.off('error', onError);
      resolve();
    });
  });
}
