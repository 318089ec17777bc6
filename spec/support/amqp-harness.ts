// Harness for AMQP integration specs: a worker behind a TCP proxy, a scheduler-side client, and cleanup of
// every queue a run declared. Each harness uses its own WorkerId so runs never share job queues.
import { execFileSync } from 'node:child_process';
import { Connection } from 'rabbitmq-client';
import type { TechnicalLogger } from '../../lib/index.ts';
import { createSchedulerClient, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { createAmqpWorker, type AmqpWorker, type AmqpWorkerOptions } from '../../lib/amqp.ts';
import { createTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** Creates a throwaway virtual host (so specs and benchmarks never share queues); returns its name. */
export function createVhost(name: string): string {
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', name]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  return name;
}

/** Deletes a virtual host made by {@link createVhost}, with all its queues. */
export function deleteVhost(name: string): void {
  execFileSync('rabbitmqctl', ['-q', 'delete_vhost', name]);
}

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
  /** The AMQP URL of this harness's own virtual host (direct, not through the proxy). */
  readonly url: string;
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

/** Creates a harness with a unique WorkerId in a virtual host of its own. */
export async function createAmqpHarness(name: string): Promise<AmqpHarness> {
  const workerId = `spec-${name}-${process.pid}-${++counter}`;
  const vhost = createVhost(workerId);
  const url = `${AMQP_URL}/${vhost}`;
  const proxy = await createTcpProxy({ targetPort: 5672 });
  const scheduler = await createSchedulerClient({ url });
  const admin = new Connection({ url, retryLow: 100, retryHigh: 500 });
  admin.on('error', () => undefined);
  const logger = captureLogger();
  const workers: AmqpWorker[] = [];
  return {
    workerId,
    url,
    proxy,
    scheduler,
    logger,
    admin,
    async startWorker(options) {
      const worker = createAmqpWorker({
        workerId,
        logger,
        heartbeatIntervalSeconds: 1,
        ...options,
        rabbitmq: { url: `amqp://guest:guest@127.0.0.1:${proxy.port}/${vhost}`, retryLowMs: 100, retryHighMs: 500, ...options.rabbitmq },
      });
      workers.push(worker);
      await worker.start();
      return worker;
    },
    async close() {
      await Promise.all(workers.map((w) => w.close({ graceMs: 1000 }).catch(() => undefined)));
      await scheduler.close();
      await admin.close();
      await proxy.close();
      deleteVhost(vhost);
    },
  };
}
