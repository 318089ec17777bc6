// `npm run bench:scale`: jobs/s with 1, 2 and 4 worker processes on one WorkerId, against the machine's broker
// (classic queues) and the local three-node cluster (quorum queues, every process given the three nodes in
// Worker:RabbitMQ:Hosts). Each process is spec/bench/memory-worker.mjs on the built package at concurrency 100;
// a collector counts the final statuses: jobs/s from the first final to the last, and no occurrence may be
// lost or finish twice. On 2 cores the broker limits it; the point is the shape and that nothing is lost.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Connection, type AsyncMessage } from 'rabbitmq-client';
import { JobStatus } from '../../lib/index.ts';
import { toDispatchEnvelope, toDispatchMessage } from '../../lib/scheduler-client/create-scheduler-client.ts';
import { publisherTopology, queueTypeArguments, type QueueType } from '../../lib/transports/amqp/create-amqp-publisher.ts';
import { MilvaionNames } from '../../lib/transports/amqp/milvaion-names.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { startLocalCluster, type LocalCluster } from '../cluster/local-cluster.ts';
import { prefill } from './prefill.ts';
import { declareJobQueue } from './declare-job-queue.ts';

const JOBS = Math.max(1, Number(process.env['BENCH_JOBS'] ?? 20_000));
const PROCESSES = [1, 2, 4] as const;
const WORKER = fileURLToPath(new URL('./memory-worker.mjs', import.meta.url));

/** Where one series runs: a URL per vhost, the brokers, the queue type. */
interface Target {
  readonly name: string;
  readonly queueType: QueueType;
  readonly hosts: readonly string[] | undefined;
  vhost(name: string): string;
  dropVhost(name: string): void;
}

const single: Target = { name: 'one broker, classic queues', queueType: 'Classic', hosts: undefined, vhost: (n) => createVhost(n), dropVhost: (n) => deleteVhost(n) };
const clusterTarget = (c: LocalCluster): Target => ({ name: 'three-node cluster, quorum queues', queueType: 'Quorum', hosts: c.hosts, vhost: (n) => c.createVhost(n), dropVhost: (n) => c.deleteVhost(n) });

/** What one run measured. */
interface Run {
  readonly processes: number;
  readonly jobsPerSecond: number;
  readonly lost: number;
  readonly finishedTwice: number;
}

async function run(target: Target, processes: number): Promise<Run> {
  const vhost = target.vhost(`bench-scale-${process.pid}-${processes}-${target.queueType}`);
  const base = target.hosts === undefined ? AMQP_URL : `amqp://guest:guest@${target.hosts[0]}`;
  const url = `${base}/${vhost}`;
  const connection = new Connection({ url, ...(target.hosts ? { hosts: [...target.hosts] } : {}) });
  connection.on('error', (error: unknown) => console.error(`warn: RabbitMQ: ${String(error)}`));
  const children: ChildProcess[] = [];
  try {
    const workerId = 'bench-scale';
    await declareJobQueue(connection, workerId, 'NoopJob', target.queueType);
    for (const q of publisherTopology(target.queueType).queues) await connection.queueDeclare(q);
    await prefill(connection, JOBS, () => toDispatchEnvelope(toDispatchMessage({ jobName: 'NoopJob', workerId })));
    const finals = new Map<string, number>();
    let first = 0;
    let last = 0;
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const collector = connection.createConsumer(
      { queue: MilvaionNames.statusUpdatesQueue, queueOptions: { durable: true, arguments: queueTypeArguments(target.queueType) }, qos: { prefetchCount: 1000 }, noAck: true },
      (msg: AsyncMessage) => {
        // rabbitmq-client parses a body sent as application/json.
        const body = (Buffer.isBuffer(msg.body) ? JSON.parse(msg.body.toString()) : msg.body) as { OccurrenceId: string; Status: number };
        if (body.Status === JobStatus.Running) return;
        finals.set(body.OccurrenceId, (finals.get(body.OccurrenceId) ?? 0) + 1);
        last = performance.now();
        if (first === 0) first = last;
        if (finals.size === JOBS) done();
      },
    );
    collector.on('error', (error: unknown) => console.error(`warn: collector: ${String(error)}`));
    const env = { ...process.env, BENCH_URL: url, BENCH_WORKER_ID: workerId, BENCH_MEMORY_JOBS: String(Number.MAX_SAFE_INTEGER), BENCH_QUEUE_TYPE: target.queueType, ...(target.hosts ? { BENCH_HOSTS: target.hosts.join(',') } : {}) };
    for (let i = 0; i < processes; i++) children.push(spawn(process.execPath, [WORKER], { env, stdio: ['ignore', 'ignore', 'inherit'] }));
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 300_000))]);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // late duplicates, if any
    await collector.close();
    const lost = JOBS - finals.size;
    const finishedTwice = [...finals.values()].filter((n) => n > 1).length;
    return { processes, jobsPerSecond: Math.round(((finals.size - 1) / (last - first)) * 1000), lost, finishedTwice };
  } finally {
    await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(undefined) : (c.once('exit', resolve), c.kill('SIGTERM'))))));
    await connection.close();
    target.dropVhost(vhost);
  }
}

const results: Record<string, Run[]> = {};
const cluster = await startLocalCluster();
for (const target of [single, clusterTarget(cluster)]) {
  results[target.name] = [];
  for (const processes of PROCESSES) {
    const r = await run(target, processes);
    results[target.name]!.push(r);
    console.error(`${target.name}, ${processes} process(es): ${r.jobsPerSecond} jobs/s, lost ${r.lost}, finished twice ${r.finishedTwice}`);
  }
}
console.log(`scale benchmark: ${JOBS} pre-loaded no-op jobs per run, worker processes at concurrency 100 on one WorkerId, node ${process.version}, ${availableParallelism()} cores (the brokers share them)`);
for (const [name, runs] of Object.entries(results)) {
  const one = runs[0]!.jobsPerSecond;
  console.log(`  ${name}: ${runs.map((r) => `${r.processes} → ${r.jobsPerSecond} jobs/s (×${(r.jobsPerSecond / one).toFixed(2)}), lost ${r.lost}, twice ${r.finishedTwice}`).join('; ')}`);
}
if (process.env['BENCH_JSON']) console.log(JSON.stringify({ scale: { jobs: JOBS, results } }));
process.exit(Object.values(results).flat().some((r) => r.lost > 0 || r.finishedTwice > 0) ? 1 : 0);
