// The soak: a worker started through the CLI (a child process) runs a job mix dispatched by the
// scheduler-side client while faults are injected: AMQP and Redis connections cut through TCP proxies,
// SIGKILL and SIGTERM with restarts, the broker's memory alarm. At the end the invariants are checked
// and the counts printed. `npm run soak -- --minutes N`; the spec runs a short form.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { createSchedulerClient } from '../../lib/scheduler-client/index.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { createTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { freePort } from '../support/free-port.ts';
import { checkSoak, type SoakResult } from './check-soak.ts';
import { driveSoak, type SoakDispatches, type SoakFault } from './drive-soak.ts';
import { leaveSoakFolder } from './leave-soak-folder.ts';
import { waitUntilReporting } from './wait-reporting.ts';
import { createSoakWorker } from './soak-worker.ts';

export type { SoakResult } from './check-soak.ts';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the soak for `seconds`, dispatching about `rate` jobs a second; `log` gets progress lines. */
export async function runSoak(options: { seconds: number; rate?: number; log?: (line: string) => void }): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const rate = options.rate ?? 30;
  const vhost = createVhost(`soak-${process.pid}-${Date.now() % 100000}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'soak-'));
  const amqpProxy = await createTcpProxy({ targetPort: 5672 });
  const redisProxy = await createTcpProxy({ targetPort: 6379 });
  const scheduler = await createSchedulerClient({ url: `${AMQP_URL}/${vhost}` });
  const redis = createClient({ url: 'redis://127.0.0.1:6379' });
  redis.on('error', () => undefined);
  await redis.connect();
  const channel = `soak:${vhost}:cancellation_channel`;
  const workerId = 'soak-worker';
  const worker = createSoakWorker({
    dir,
    healthPort: await freePort(),
    workerId,
    rabbitMq: { Host: '127.0.0.1', Port: amqpProxy.port, VirtualHost: vhost },
    redis: { ConnectionString: `127.0.0.1:${redisProxy.port}`, CancellationChannel: channel },
  });

  const faults: Record<string, number> = { amqpCut: 0, redisCut: 0, sigkill: 0, sigterm: 0, memoryAlarm: 0 };
  let dispatches: SoakDispatches | undefined;
  let passed = false;
  const t0 = Date.now();
  try {
    worker.start();
    await scheduler.waitUntil(() => scheduler.registrations(workerId).length > 0, { what: 'the worker to register', timeoutMs: 60_000 });
    log(`soak: worker up, running ${options.seconds} s at ~${rate} jobs/s`);
    const watermark = execFileSync('rabbitmqctl', ['-q', 'eval', 'vm_memory_monitor:get_vm_memory_high_watermark().'], { encoding: 'utf8' }).trim();
    const schedule: SoakFault[] = [
      cutFault('amqpCut', amqpProxy, faults),
      cutFault('redisCut', redisProxy, faults),
      {
        name: 'sigkill',
        async run() {
          faults['sigkill']!++;
          await worker.stop('SIGKILL');
          await sleep(300);
          worker.start();
        },
      },
      {
        name: 'memoryAlarm',
        async run() {
          // The memory alarm blocks publishers broker-wide; restored to the value read at start, whatever happens.
          // A watermark read as (near) 0 is another run's alarm in progress: restoring to it would leave the broker blocked.
          if (!/^[0-9.]+$/.test(watermark) || Number(watermark) < 0.1) return;
          faults['memoryAlarm']!++;
          try {
            execFileSync('rabbitmqctl', ['-q', 'set_vm_memory_high_watermark', '0']);
            await sleep(1500);
          } finally {
            execFileSync('rabbitmqctl', ['-q', 'set_vm_memory_high_watermark', watermark]);
          }
        },
      },
      {
        name: 'sigterm',
        async run() {
          faults['sigterm']!++;
          await worker.stop('SIGTERM');
          worker.start();
        },
      },
    ];
    const cancel = (occ: string) => redis.publish(channel, JSON.stringify({ CorrelationId: occ, OccurrenceId: occ, Reason: 'soak cancel' }));
    dispatches = await driveSoak({ scheduler, workerId, seconds: options.seconds, rate, cancel, faults: schedule, log });
    // A graceful stop drains the outbox; then nothing may be left in it. Only once it can reach the broker again.
    const heartbeatQueue = () => queueLine(vhost, scheduler.names.heartbeats);
    const workerViolations = await waitUntilReporting(scheduler, workerId, [worker], { lastFault: dispatches.lastFault, heartbeatQueue });
    await worker.stop('SIGTERM');
    await sleep(500);
    const result = await checkSoak({ scheduler, dispatches, outboxDirs: [worker.outboxDir], maxRssMb: worker.maxRssMb, startedAt: t0, faults, workerViolations });
    passed = result.violations.length === 0;
    return result;
  } finally {
    worker.dispose();
    leaveSoakFolder({ dir, workers: [worker], faultLog: dispatches?.faultLog ?? [], passed, log });
    await scheduler.close().catch(() => undefined);
    await redis.close().catch(() => undefined);
    await amqpProxy.close();
    await redisProxy.close();
    deleteVhost(vhost);
  }
}

/** Cuts every connection through `proxy` for 1.5 s, counted as `name`. */
function cutFault(name: string, proxy: TcpProxy, faults: Record<string, number>): SoakFault {
  return {
    name,
    async run() {
      faults[name]!++;
      proxy.cut();
      await sleep(1500);
      proxy.restore();
    },
  };
}

/** A queue's messages and consumers as the broker counts them, or why they could not be read. */
function queueLine(vhost: string, queue: string): string {
  try {
    const rows = execFileSync('rabbitmqctl', ['-q', 'list_queues', '-p', vhost, 'name', 'messages', 'consumers'], { encoding: 'utf8' }).split('\n');
    const row = rows.find((r) => r.split('\t')[0] === queue)?.split('\t');
    return row === undefined ? `${queue} not found` : `${row[1]} messages, ${row[2]} consumers`;
  } catch (error) {
    return `unknown (${error instanceof Error ? error.message : String(error)})`;
  }
}
