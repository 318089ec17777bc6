// Harness for AMQP integration specs: a worker behind a TCP proxy, a scheduler-side client, and cleanup of
// every queue a run declared. Each harness uses its own WorkerId so runs never share job queues.
import { Connection } from 'rabbitmq-client';
import type { TechnicalLogger } from '../../lib/index.ts';
import { createSchedulerClient, type SchedulerClient } from '../../lib/testing/index.ts';
import { createAmqpWorker, toJobQueueName, toRoutingPattern, type AmqpWorker, type AmqpWorkerOptions } from '../../lib/transports/amqp/index.ts';
import { createTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** A logger that keeps every line, for assertions on what the worker said. */
export function captureLogger(): TechnicalLogger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: string, ...args: unknown[]) => {
    lines.push(`${level} ${message}${args.length ? ' ' + args.map((a) => (a instanceof Error ? a.message : JSON.stringify(a))).join(' ') : ''}`);
  };
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

export interface AmqpHarness {
  readonly workerId: string;
  readonly proxy: TcpProxy;
  readonly scheduler: SchedulerClient;
  readonly logger: ReturnType<typeof captureLogger>;
  /** The admin connection (direct, not through the proxy). */
  readonly admin: Connection;
  /** Starts a worker (through the proxy); several may run one after another. */
  startWorker(options: Omit<AmqpWorkerOptions, 'workerId' | 'rabbitmq'> & { rabbitmq?: AmqpWorkerOptions['rabbitmq'] }): Promise<AmqpWorker>;
  close(): Promise<void>;
}

let counter = 0;

/** Creates a harness with a unique WorkerId. */
export async function createAmqpHarness(name: string): Promise<AmqpHarness> {
  const workerId = `spec-${name}-${process.pid}-${++counter}`;
  const proxy = await createTcpProxy({ targetPort: 5672 });
  const scheduler = await createSchedulerClient({ url: AMQP_URL });
  const admin = new Connection({ url: AMQP_URL, retryLow: 100, retryHigh: 500 });
  admin.on('error', () => undefined);
  const logger = captureLogger();
  const workers: AmqpWorker[] = [];
  const jobNames = new Set<string>();
  return {
    workerId,
    proxy,
    scheduler,
    logger,
    admin,
    async startWorker(options) {
      for (const job of options.jobs) jobNames.add(job.name);
      const worker = createAmqpWorker({
        workerId,
        logger,
        heartbeatIntervalSeconds: 1,
        ...options,
        rabbitmq: { url: `amqp://guest:guest@127.0.0.1:${proxy.port}`, retryLowMs: 100, retryHighMs: 500, ...options.rabbitmq },
      });
      workers.push(worker);
      await worker.start();
      return worker;
    },
    async close() {
      await Promise.all(workers.map((w) => w.close({ graceMs: 1000 }).catch(() => undefined)));
      await scheduler.close();
      for (const jobName of jobNames) {
        await admin.queueDelete({ queue: toJobQueueName(toRoutingPattern(workerId, jobName)) }).catch(() => undefined);
      }
      await admin.close();
      await proxy.close();
    },
  };
}
