// The cluster soak: three CLI workers on one WorkerId consume quorum queues on the local three-node RabbitMQ
// cluster while broker nodes are stopped and restarted one at a time (the leader of a job queue among them),
// workers are SIGKILLed and restarted, and one worker's connections are cut at its TCP proxies. Same job mix,
// invariants and counts as the single-broker soak. `npm run soak:cluster -- --minutes N`; the spec runs a short form.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { createSchedulerClient } from '../../lib/scheduler-client/index.ts';
import { toJobQueueName, toRoutingPattern } from '../../lib/transports/amqp/milvaion-names.ts';
import { clusterRunning, startLocalCluster, stopLocalCluster, type LocalCluster } from '../cluster/local-cluster.ts';
import { createTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { freePort } from '../support/free-port.ts';
import { checkSoak, type SoakResult } from './check-soak.ts';
import { driveSoak, JOB_NAMES, type SoakDispatches, type SoakFault } from './drive-soak.ts';
import { leaveSoakFolder } from './leave-soak-folder.ts';
import { waitUntilReporting } from './wait-reporting.ts';
import { createSoakWorker, type SoakWorker } from './soak-worker.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WORKER_ID = 'soak-cluster-worker';

/** Options of {@link runClusterSoak}. */
export interface ClusterSoakOptions {
  readonly seconds: number;
  /** Jobs a second (default 20). */
  readonly rate?: number;
  readonly log?: (line: string) => void;
  /** Leave the cluster running after the soak even when the soak started it (default false). */
  readonly keepCluster?: boolean;
  /** Worker:SharedOccurrenceRecords of the workers (default true): false measures the runs it saves. */
  readonly sharedRecords?: boolean;
}

/** Runs the cluster soak for `seconds`; starts the local cluster when it is not running (and then stops it after). */
export async function runClusterSoak(options: ClusterSoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const rate = options.rate ?? 20;
  const startedCluster = !clusterRunning();
  const cluster = await startLocalCluster();
  const vhost = cluster.createVhost(`soak-cluster-${process.pid}-${Date.now() % 100000}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'soak-cluster-'));
  const proxies = await Promise.all(cluster.ports.map((port) => createTcpProxy({ targetPort: port })));
  const scheduler = await createSchedulerClient({ url: `amqp://guest:guest@${cluster.hosts[0]}/${vhost}`, hosts: cluster.hosts, queueType: 'Quorum' });
  const redis = createClient({ url: 'redis://127.0.0.1:6379' });
  redis.on('error', () => undefined);
  await redis.connect();
  const channel = `soak:${vhost}:cancellation_channel`;
  // Workers 1 and 2 go to the nodes directly, each trying a different node first; worker 3 through the proxies.
  const brokerLists = [cluster.hosts, [...cluster.hosts.slice(1), cluster.hosts[0]!], proxies.map((p) => `127.0.0.1:${p.port}`)];
  const healthPorts = [await freePort(), await freePort(), await freePort()];
  const workers = brokerLists.map((hosts, i) =>
    createSoakWorker({
      dir: path.join(dir, `worker-${i + 1}`),
      healthPort: healthPorts[i]!,
      workerId: WORKER_ID,
      rabbitMq: { Hosts: hosts, VirtualHost: vhost, QueueType: 'Quorum' },
      redis: { ConnectionString: '127.0.0.1:6379', CancellationChannel: channel },
      worker: { SharedOccurrenceRecords: options.sharedRecords ?? true },
    }),
  );
  const faults: Record<string, number> = { leaderRestart: 0, nodeRestart: 0, sigkill: 0, connectionCut: 0, failoverCut: 0 };
  let dispatches: SoakDispatches | undefined;
  let passed = false;
  const t0 = Date.now();
  try {
    for (const w of workers) w.start();
    const instances = () => new Set(scheduler.registrations(WORKER_ID).map((r) => r.body?.InstanceId)).size;
    await scheduler.waitUntil(() => instances() >= workers.length, { what: 'the three workers to register', timeoutMs: 90_000 });
    log(`soak: 3 workers up on ${cluster.hosts.join(', ')} (quorum queues, vhost ${vhost}), running ${options.seconds} s at ~${rate} jobs/s`);
    const cancel = (occ: string) => redis.publish(channel, JSON.stringify({ CorrelationId: occ, OccurrenceId: occ, Reason: 'soak cancel' }));
    const schedule = clusterFaults({ cluster, vhost, workers, proxies, faults, log });
    dispatches = await driveSoak({ scheduler, workerId: WORKER_ID, seconds: options.seconds, rate, cancel, faults: schedule, log });
    // A graceful stop drains each outbox; then nothing may be left in any. Only once all can reach a broker again.
    const workerViolations = await waitUntilReporting(scheduler, WORKER_ID, workers, { lastFault: dispatches.lastFault });
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    await sleep(500);
    const maxRssMb = Math.max(...workers.map((w) => w.maxRssMb));
    const checked = await checkSoak({ scheduler, dispatches, outboxDirs: workers.map((w) => w.outboxDir), maxRssMb, startedAt: t0, faults, workerViolations });
    // With the shared records, a finished job never runs again in any process (docs/reliability.md).
    const again = options.sharedRecords !== false && checked.secondRunsOfFinished > 0 ? [`${checked.secondRunsOfFinished} finished occurrence(s) ran again with the shared records on`] : [];
    const result = { ...checked, violations: [...checked.violations, ...again] };
    passed = result.violations.length === 0;
    return result;
  } finally {
    for (const w of workers) w.dispose();
    leaveSoakFolder({ dir, workers, faultLog: dispatches?.faultLog ?? [], passed, log });
    await scheduler.close().catch(() => undefined);
    await redis.close().catch(() => undefined);
    await Promise.all(proxies.map((p) => p.close()));
    await startLocalCluster(); // a node a failed fault left stopped comes back before the vhost goes
    cluster.deleteVhost(vhost);
    if (startedCluster && options.keepCluster !== true) await stopLocalCluster();
  }
}

/** What the cluster faults act on, and where they count. */
interface FaultTargets {
  readonly cluster: LocalCluster;
  readonly vhost: string;
  readonly workers: readonly SoakWorker[];
  /** Worker 3's way to the three nodes. */
  readonly proxies: readonly TcpProxy[];
  readonly faults: Record<string, number>;
  readonly log: (line: string) => void;
}

/** The rotation: a job queue's leader node restarted, a worker SIGKILLed, worker 3 cut off, another node restarted, worker 3 failed over. */
function clusterFaults(t: FaultTargets): SoakFault[] {
  const count = (kind: string) => void t.faults[kind]!++;
  let nextNode = 0;
  let nextQueue = 0;
  let nextWorker = 0;
  const restartNode = async (i: number) => {
    await t.cluster.stopNode(i);
    await sleep(2000);
    await t.cluster.startNode(i);
  };
  const cut = async (proxies: readonly TcpProxy[]) => {
    for (const p of proxies) p.cut();
    await sleep(1500);
    for (const p of proxies) p.restore();
  };
  return [
    {
      name: 'leaderRestart',
      async run() {
        const queue = toJobQueueName(toRoutingPattern(WORKER_ID, JOB_NAMES[nextQueue++ % JOB_NAMES.length]!));
        const leader = t.cluster.queueLeader(t.vhost, queue);
        if (leader === undefined) return t.log(`soak: ${queue} has no leader now; no leader restart this turn`);
        count('leaderRestart');
        await restartNode(t.cluster.nodeIndexOf(leader));
      },
    },
    {
      name: 'sigkill',
      async run() {
        count('sigkill');
        const worker = t.workers[nextWorker++ % t.workers.length]!;
        await worker.stop('SIGKILL');
        await sleep(300);
        worker.start();
      },
    },
    {
      name: 'connectionCut',
      async run() {
        count('connectionCut');
        await cut(t.proxies);
      },
    },
    {
      name: 'nodeRestart',
      async run() {
        count('nodeRestart');
        await restartNode(nextNode++ % t.cluster.nodes.length);
      },
    },
    {
      // Only the brokers worker 3 is connected to: it must move to another node.
      name: 'failoverCut',
      async run() {
        count('failoverCut');
        await cut(t.proxies.filter((p) => p.connections > 0));
      },
    },
  ];
}
