// Harness for AMQP integration specs: a worker behind a TCP proxy, a scheduler-side client, and cleanup of
// every queue a run declared. Each harness uses its own WorkerId so runs never share job queues.
import { execFileSync } from 'node:child_process';
import { after, before } from 'node:test';
import { Connection } from 'rabbitmq-client';
import { createSchedulerClient, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { createAmqpWorker, type AmqpWorker, type AmqpWorkerOptions } from '../../lib/amqp.ts';
import { captureLogger, type CapturingLogger } from './loggers.ts';
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

export interface AmqpHarness {
  readonly workerId: string;
  /** The AMQP URL of this harness's own virtual host (direct, not through the proxy). */
  readonly url: string;
  readonly proxy: TcpProxy;
  readonly scheduler: SchedulerClient;
  readonly logger: CapturingLogger;
  /** The admin connection (direct, not through the proxy). */
  readonly admin: Connection;
  /** Starts a worker (through the proxy); several may run one after another. */
  startWorker(options: Omit<AmqpWorkerOptions, 'workerId' | 'rabbitmq'> & { rabbitmq?: AmqpWorkerOptions['rabbitmq'] }): Promise<AmqpWorker>;
  /**
   * Restores the proxy and closes every worker started so far that is still open. Suites that start workers
   * in their tests call it in `afterEach`: a test that fails before its own restore() or close() must not
   * leave the proxy cut, nor a worker consuming the job queues all tests of the harness share (it would take
   * the next test's jobs).
   */
  closeWorkers(): Promise<void>;
  /** Closes the workers, the scheduler client, the admin connection and the proxy, and deletes the vhost. */
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
  // close() is idempotent: a worker the test closed itself is simply forgotten here. The proxy is restored
  // first: a worker closes quickly (IsStopping, outbox drain) only when it can reach the broker.
  const closeWorkers = async () => {
    proxy.restore();
    await Promise.all(workers.splice(0).map((w) => w.close({ graceMs: 1000 }).catch(() => undefined)));
  };
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
    closeWorkers,
    async close() {
      await closeWorkers();
      await scheduler.close();
      await admin.close();
      await proxy.close();
      deleteVhost(vhost);
    },
  };
}

/**
 * A throwaway vhost for one spec file with an admin connection to it, set up in `before` and removed in
 * `after` (both do nothing when RabbitMQ is down: the file's suites skip then). `admin()` is valid inside tests.
 */
export function useAdminVhost(prefix: string, brokerUp: boolean): { readonly url: string; admin(): Connection } {
  const vhost = `${prefix}-${process.pid}`;
  const url = `${AMQP_URL}/${vhost}`;
  let admin: Connection | undefined;
  before(async () => {
    if (!brokerUp) return;
    createVhost(vhost);
    admin = new Connection({ url, retryLow: 100, retryHigh: 500 });
    admin.on('error', () => undefined);
    await admin.onConnect(10_000);
  });
  after(async () => {
    if (!brokerUp) return;
    await admin?.close();
    deleteVhost(vhost);
  });
  return {
    url,
    admin() {
      if (admin === undefined) throw new Error('useAdminVhost: the admin connection exists only inside tests');
      return admin;
    },
  };
}

/**
 * A throwaway vhost for one describe block with the scheduler's side on it (a SchedulerClient), set up in
 * `before` and removed in `after`, after `cleanup`. `scheduler` is valid inside tests.
 */
export function useSchedulerVhost(prefix: string, cleanup: () => void = () => undefined): { readonly vhost: string; readonly url: string; readonly scheduler: SchedulerClient } {
  const vhost = `${prefix}-${process.pid}`;
  let scheduler: SchedulerClient | undefined;
  before(async () => {
    createVhost(vhost);
    scheduler = await createSchedulerClient({ url: `${AMQP_URL}/${vhost}` });
  });
  after(async () => {
    await scheduler?.close();
    deleteVhost(vhost);
    cleanup();
  });
  return {
    vhost,
    url: `${AMQP_URL}/${vhost}`,
    get scheduler() {
      if (scheduler === undefined) throw new Error('useSchedulerVhost: the scheduler exists only inside tests');
      return scheduler;
    },
  };
}
