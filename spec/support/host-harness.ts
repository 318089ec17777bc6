// A worker host for integration specs against the real broker: a virtual host and a temp folder of its own,
// a scheduler-side client and a free HTTP port, the config loaded from overrides; started in `before`, then
// stopped and cleaned up in `after`. Call it inside a describe() gated by needs('rabbitmq').
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import type { AnyJobDefinition, WorkerSetup } from '../../lib/index.ts';
import { createWorkerHost, loadConfig, type WorkerHost } from '../../lib/host/index.ts';
import { createSchedulerClient, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { AMQP_URL, createVhost, deleteVhost } from './amqp-harness.ts';
import { freePort } from './free-port.ts';
import { captureLogger } from './loggers.ts';

/** What the overrides may use: the host's temp folder, its HTTP port and its virtual host. */
interface HostPlace {
  readonly dir: string;
  readonly port: number;
  readonly vhost: string;
}

/** Options of {@link useWorkerHost}. */
export interface WorkerHostSpecOptions {
  readonly jobs: readonly AnyJobDefinition[];
  readonly setups?: readonly WorkerSetup[];
  /** The appsettings overrides; `Worker:RabbitMQ` (this vhost) and a 1 s heartbeat are added under `Worker`. */
  readonly overrides: (place: HostPlace) => { readonly Worker: Record<string, unknown>; readonly [section: string]: unknown };
}

/** The running host and its surroundings; `dir` is there at once, the rest inside tests. */
export interface HostHarness extends HostPlace {
  readonly host: WorkerHost;
  readonly scheduler: SchedulerClient;
}

/** Registers the `before` that starts a host for `options` in a vhost named after `prefix`, and the `after` that removes it all. */
export function useWorkerHost(prefix: string, options: WorkerHostSpecOptions): HostHarness {
  const vhost = `${prefix}-${process.pid}`;
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  let running: { host: WorkerHost; scheduler: SchedulerClient; port: number } | undefined;
  const get = () => {
    if (running === undefined) throw new Error('useWorkerHost: the host exists only inside tests');
    return running;
  };
  before(async () => {
    createVhost(vhost);
    const scheduler = await createSchedulerClient({ url: `${AMQP_URL}/${vhost}` });
    const port = await freePort();
    const { Worker, ...sections } = options.overrides({ dir, port, vhost });
    const config = loadConfig({
      env: {},
      cwd: dir,
      overrides: { ...sections, Worker: { RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost }, Heartbeat: { IntervalSeconds: 1 }, ...Worker } },
    });
    assert.ok(config.isOk(), config.isErr() ? config.error.format() : '');
    const host = createWorkerHost({ config: config._unsafeUnwrap(), jobs: options.jobs, setups: options.setups ?? [], logger: captureLogger() })._unsafeUnwrap();
    running = { host, scheduler, port };
    await host.start();
  });
  after(async () => {
    await running?.host.stop();
    await running?.scheduler.close();
    deleteVhost(vhost);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    vhost,
    get port() {
      return get().port;
    },
    get host() {
      return get().host;
    },
    get scheduler() {
      return get().scheduler;
    },
  };
}
