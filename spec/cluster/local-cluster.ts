// A three-node RabbitMQ cluster on this machine for tests (rc1..rc3@localhost on 127.0.0.1:5681-5683), next to
// and apart from the machine's own broker: startLocalCluster() starts and clusters it (or reuses it), and the
// LocalCluster it returns makes vhosts, stops and restarts nodes, and finds a quorum queue's leader.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { amqpLogin, CLUSTER_DIR, clusterStatus, ctl, ctlSync, launch, livePid, logTail, NODE_UNAVAILABLE, NODES, portOpen, sleep, type ClusterNode } from './rabbitmq-nodes.ts';

export { CLUSTER_DIR } from './rabbitmq-nodes.ts';

/** The running local cluster. */
export interface LocalCluster {
  /** The node names, rc1@localhost first. */
  readonly nodes: readonly string[];
  /** Their AMQP ports (127.0.0.1), in node order. */
  readonly ports: readonly number[];
  /** `127.0.0.1:PORT` per node: the worker's `RabbitMQ:Hosts`. */
  readonly hosts: readonly string[];
  /** Creates a vhost with full permissions for guest (optionally with a default queue type); returns its name. */
  createVhost(name: string, options?: { defaultQueueType?: 'classic' | 'quorum' }): string;
  /** Deletes a vhost with all its queues. */
  deleteVhost(name: string): void;
  /** Stops the RabbitMQ app on node `i` (0-based): its clients are cut, its port closes, the VM stays up. */
  stopNode(i: number): Promise<void>;
  /** Starts the app on node `i` again; resolves once it runs in the cluster and its port takes a guest login. */
  startNode(i: number): Promise<void>;
  /** The names of the nodes whose app runs, as the cluster sees it. */
  runningNodes(): Promise<string[]>;
  /** The node that leads quorum queue `queue` in `vhost`, or undefined (no such queue, no leader now). */
  queueLeader(vhost: string, queue: string): string | undefined;
  /** The index of a node name in `nodes` (-1 when not one of them). */
  nodeIndexOf(nodeName: string): number;
}

const MARKER = '.milvaion-worker-cluster';
/** Nodes stopped with stopNode(): CLI calls go to the others. */
const stopped = new Set<number>();

/**
 * The node:test options for a suite that needs the local cluster: `{}` where it can be started, else a skip with
 * the reason; in CI (CI=true or MILVAION_REQUIRE_SERVICES=1) always `{}`, so a cluster that does not start fails.
 */
export function needsLocalCluster(): { skip?: string } {
  if (process.env['CI'] === 'true' || process.env['MILVAION_REQUIRE_SERVICES'] === '1') return {};
  const which = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
  if (!which('rabbitmq-server') || !which('rabbitmqctl')) return { skip: 'rabbitmq-server is not installed (apt-get install rabbitmq-server)' };
  const user = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
  if (user !== 'root' && user !== 'rabbitmq') return { skip: `rabbitmq-server runs only as root or rabbitmq, not ${user}` };
  return {};
}

/** Whether the three nodes' VMs are alive (by their pid files); startLocalCluster() checks the rest. */
export function clusterRunning(): boolean {
  return NODES.every((node) => livePid(node) !== undefined);
}

/**
 * Starts the cluster and resolves once three nodes run clustered and guest logs in on each port. Idempotent: a
 * running cluster is reused (about a second); a node that is down is started, one not yet a member is joined.
 */
export async function startLocalCluster(options: { log?: (line: string) => void } = {}): Promise<LocalCluster> {
  const t0 = performance.now();
  const step = (what: string) => options.log?.(`cluster: ${what} at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (!(await healthy())) {
    prepareFolders();
    await Promise.all(NODES.map((node) => bootNode(node)));
    step('nodes booted');
    const { members } = await clusterStatus(NODES[0]!);
    // One join at a time: joining both at once saved about 1 s of 14 and is not what RabbitMQ documents.
    for (const node of NODES.slice(1)) {
      if (members.includes(node.name)) continue;
      await joinFirst(node);
      step(`${node.name} joined`);
    }
    await waitRunning(NODES.length, 60_000);
    await Promise.all(NODES.map((node) => amqpLogin(node.port)));
    step('three nodes running, guest logs in on each port');
  }
  stopped.clear();
  return cluster;
}

/** Stops the three nodes and deletes the cluster folder. Idempotent. */
export async function stopLocalCluster(): Promise<void> {
  await Promise.all(
    NODES.map(async (node) => {
      const pid = livePid(node);
      await ctl(node, ['-q', 'stop', ...(pid === undefined ? [] : [node.pidFile])], { timeoutMs: 60_000 }).catch(() => undefined);
      // A VM that did not stop (its node name unreachable) is ended by the pid it wrote.
      if (pid !== undefined && livePid(node) === pid) process.kill(pid, 'SIGKILL');
    }),
  );
  stopped.clear();
  assertOurs();
  rmSync(CLUSTER_DIR, { recursive: true, force: true });
}

/** Throws when CLUSTER_DIR holds files but not the marker startLocalCluster() writes: it is someone else's folder. */
function assertOurs(): void {
  if (existsSync(CLUSTER_DIR) && !existsSync(path.join(CLUSTER_DIR, MARKER)) && readdirSync(CLUSTER_DIR).length > 0) {
    throw new Error(`${CLUSTER_DIR} was not made by startLocalCluster() (no ${MARKER} in it); choose another MW_CLUSTER_DIR`);
  }
}

/** True when every node's VM is alive, three nodes run clustered, and every AMQP port is open. */
async function healthy(): Promise<boolean> {
  if (!clusterRunning()) return false;
  const open = await Promise.all(NODES.map((node) => portOpen(node.port)));
  if (open.includes(false)) return false;
  const status = await clusterStatus(NODES[0]!).catch(() => undefined);
  return NODES.every((node) => status?.running.includes(node.name));
}

/** Creates each node's data, log and config folders (owned by the rabbitmq user, as the server runs as it). */
function prepareFolders(): void {
  assertOurs();
  mkdirSync(CLUSTER_DIR, { recursive: true });
  writeFileSync(path.join(CLUSTER_DIR, MARKER), 'made by spec/cluster/local-cluster.ts; `npm run cluster:stop` deletes it\n');
  for (const node of NODES) {
    for (const sub of ['mnesia', 'log']) mkdirSync(path.join(node.dir, sub), { recursive: true });
    writeFileSync(path.join(node.dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${node.port}\nloopback_users = none\n`);
    writeFileSync(path.join(node.dir, 'enabled_plugins'), '[].\n');
  }
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'rabbitmq:rabbitmq', CLUSTER_DIR]);
}

/** Brings one node's app up: launches its VM when it is down, starts its app when only the app is stopped. */
async function bootNode(node: ClusterNode): Promise<void> {
  if (livePid(node) === undefined) {
    await launch(node);
    // `wait` follows the pid file until the app runs (await_startup fails while the node is not registered yet).
    await ctl(node, ['-q', 'wait', '--timeout', '90', node.pidFile]).catch((error: Error) => {
      throw new Error(`${node.name} did not start: ${error.message}\n${logTail(node)}`, { cause: error });
    });
  } else if (!(await portOpen(node.port))) {
    await ctl(node, ['-q', 'start_app']).catch(() => undefined); // already starting: await_startup covers it
    await ctl(node, ['-q', 'await_startup']);
  }
}

/** Makes `node` a member of rc1's cluster (join_cluster resets it first). */
async function joinFirst(node: ClusterNode): Promise<void> {
  await ctl(node, ['-q', 'stop_app']);
  await ctl(node, ['-q', 'join_cluster', NODES[0]!.name]);
  await ctl(node, ['-q', 'start_app']);
}

/** Resolves once `count` nodes run in the cluster (asked of a node that is up). */
async function waitRunning(count: number, timeoutMs: number, must: string[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let running: string[] = [];
  while (Date.now() < deadline) {
    running = await runningNodes().catch(() => []);
    if (running.length >= count && must.every((n) => running.includes(n))) return;
    await sleep(300);
  }
  throw new Error(`the local cluster has ${running.length} running nodes (${running.join(', ')}) after ${timeoutMs} ms, not ${count}`);
}

/** The nodes CLI calls may address: those not stopped with stopNode(). */
function upNodes(): ClusterNode[] {
  return NODES.filter((_, i) => !stopped.has(i));
}

/** The names of the nodes whose app runs, as the first node that answers sees it. */
export async function runningNodes(): Promise<string[]> {
  let last: unknown;
  for (const node of upNodes()) {
    try {
      return (await clusterStatus(node)).running;
    } catch (error) {
      last = error;
    }
  }
  throw new Error('no node of the local cluster answers', { cause: last });
}

/** Runs a synchronous CLI call on the first up node that answers (a command's own failure is thrown at once). */
function onAnyNode(args: readonly string[]): string {
  let last: unknown;
  for (const node of upNodes()) {
    try {
      return ctlSync(node, args);
    } catch (error) {
      if ((error as { status?: number }).status !== NODE_UNAVAILABLE) throw error;
      last = error;
    }
  }
  throw last instanceof Error ? last : new Error('no node of the local cluster answers');
}

function nodeAt(i: number): ClusterNode {
  const node = NODES[i];
  if (node === undefined) throw new RangeError(`the local cluster has nodes 0-${NODES.length - 1}, not ${i}`);
  return node;
}

const cluster: LocalCluster = {
  nodes: NODES.map((n) => n.name),
  ports: NODES.map((n) => n.port),
  hosts: NODES.map((n) => `127.0.0.1:${n.port}`),
  createVhost(name, options = {}) {
    onAnyNode(['-q', 'add_vhost', name, ...(options.defaultQueueType ? ['--default-queue-type', options.defaultQueueType] : [])]);
    onAnyNode(['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
    return name;
  },
  deleteVhost(name) {
    onAnyNode(['-q', 'delete_vhost', name]);
  },
  async stopNode(i) {
    const node = nodeAt(i);
    stopped.add(i);
    await ctl(node, ['-q', 'stop_app']);
  },
  async startNode(i) {
    const node = nodeAt(i);
    await ctl(node, ['-q', 'start_app']);
    stopped.delete(i);
    await waitRunning(NODES.length - stopped.size, 60_000, [node.name]);
    await amqpLogin(node.port);
  },
  runningNodes,
  queueLeader(vhost, queue) {
    const rows = JSON.parse(onAnyNode(['-q', 'list_queues', '-p', vhost, 'name', 'leader', '--formatter', 'json'])) as { name: string; leader?: string }[];
    const leader = rows.find((row) => row.name === queue)?.leader;
    return leader === undefined || leader === '' ? undefined : leader;
  },
  nodeIndexOf: (nodeName) => NODES.findIndex((n) => n.name === nodeName),
};
