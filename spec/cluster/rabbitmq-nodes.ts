// The three RabbitMQ nodes of the local test cluster: names, ports, folders, environment, and the CLI calls that
// address them. Every rabbitmqctl call names its node with -n: the machine's own broker (rabbit@localhost, 5672)
// is never addressed.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from 'rabbitmq-client';

/** One node of the local cluster. */
export interface ClusterNode {
  readonly name: string;
  readonly port: number;
  readonly distPort: number;
  readonly dir: string;
  readonly pidFile: string;
}

const basePort = portFromEnv('MW_CLUSTER_BASE_PORT', 5681);
/** The folder that holds every node's data, logs and config (MW_CLUSTER_DIR, default /tmp/milvaion-worker-cluster). */
export const CLUSTER_DIR = path.resolve(process.env['MW_CLUSTER_DIR'] || '/tmp/milvaion-worker-cluster');
/** rc1@localhost, rc2@localhost, rc3@localhost on base port + 0, 1, 2 (distribution on + 20000). The names are
 * fixed: one local cluster per machine at a time (MW_CLUSTER_BASE_PORT moves only its ports). */
export const NODES: readonly ClusterNode[] = [1, 2, 3].map((n) => {
  const name = `rc${n}@localhost`;
  const dir = path.join(CLUSTER_DIR, `rc${n}`);
  return { name, port: basePort + n - 1, distPort: basePort + n - 1 + 20_000, dir, pidFile: path.join(dir, 'rabbitmq.pid') };
});
const LOOPBACK_DIST = '-kernel inet_dist_use_interface {127,0,0,1}';

function portFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1024 || port > 45_000) throw new Error(`${name} must be a TCP port from 1024 to 45000, not ${JSON.stringify(text)}`);
  return port;
}

/** The environment rabbitmq-server and rabbitmqctl get for `node` (loopback-only listeners, its own folders). */
export function nodeEnv(node: ClusterNode): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RABBITMQ_NODENAME: node.name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(node.port),
    RABBITMQ_DIST_PORT: String(node.distPort),
    RABBITMQ_CONFIG_FILE: path.join(node.dir, 'rabbitmq'), // rabbitmq.conf; the suffix is implied
    RABBITMQ_MNESIA_BASE: path.join(node.dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(node.dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(node.dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: node.pidFile,
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: LOOPBACK_DIST,
    RABBITMQ_CTL_ERL_ARGS: LOOPBACK_DIST,
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
}

/** Exit code 69 (EX_UNAVAILABLE): the CLI could not reach the node or its app. */
export const NODE_UNAVAILABLE = 69;

/** The error of a failed CLI call, with its output and its exit code (`status`). */
function cliError(command: string, args: readonly string[], error: unknown, stdout: string, stderr: string): Error & { status: number | undefined } {
  const text = `${stderr}\n${stdout}`.trim().split('\n').slice(-6).join('\n');
  const e = error as { status?: unknown; code?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.code === 'number' ? e.code : undefined;
  return Object.assign(new Error(`${command} ${args.join(' ')} failed${status === undefined ? '' : ` (exit ${status})`}: ${text || (error as Error).message}`, { cause: error }), { status });
}

/** Runs `rabbitmqctl -n <node> …args` (or another RabbitMQ CLI) and resolves with its stdout. */
export function ctl(node: ClusterNode, args: readonly string[], options: { cli?: string; timeoutMs?: number } = {}): Promise<string> {
  const cli = options.cli ?? 'rabbitmqctl';
  const argv = ['-n', node.name, ...args];
  return new Promise((resolve, reject) => {
    execFile(cli, argv, { env: nodeEnv(node), cwd: '/', timeout: options.timeoutMs ?? 90_000, encoding: 'utf8' }, (error, stdout, stderr) =>
      error ? reject(cliError(cli, argv, error, stdout, stderr)) : resolve(stdout),
    );
  });
}

/** {@link ctl}, synchronously. */
export function ctlSync(node: ClusterNode, args: readonly string[]): string {
  const argv = ['-n', node.name, ...args];
  try {
    return execFileSync('rabbitmqctl', argv, { env: nodeEnv(node), cwd: '/', timeout: 60_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw cliError('rabbitmqctl', argv, error, String(e.stdout ?? ''), String(e.stderr ?? ''));
  }
}

/** Starts the node's Erlang VM detached (rabbitmq-server drops to the rabbitmq user when run as root). */
export function launch(node: ClusterNode): Promise<void> {
  return new Promise((resolve, reject) => {
    // stdio ignored: the daemonised VM would otherwise hold our pipes open.
    const child = spawn('rabbitmq-server', ['-detached'], { env: nodeEnv(node), cwd: '/', stdio: 'ignore', detached: true });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`rabbitmq-server -detached for ${node.name} exited ${code}`))));
  });
}

/** The OS pid of the node's VM from its pid file, when that process is alive and an Erlang VM (not a reused pid). */
export function livePid(node: ClusterNode): number | undefined {
  if (!existsSync(node.pidFile)) return undefined;
  const pid = Number(readFileSync(node.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('beam') ? pid : undefined;
  } catch {
    return undefined; // no such process
  }
}

/** The last lines of the node's log, for an error message. */
export function logTail(node: ClusterNode): string {
  const file = path.join(node.dir, 'log', `${node.name}.log`);
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-8).join('\n') : `(no log at ${file})`;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    const done = (open: boolean) => (socket.destroy(), resolve(open));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** Resolves once guest/guest completes an AMQP handshake on `port`; rejects after `timeoutMs`. */
export async function amqpLogin(port: number, timeoutMs = 15_000): Promise<void> {
  const connection = new Connection({ url: `amqp://guest:guest@127.0.0.1:${port}`, retryLow: 200, retryHigh: 500, connectionTimeout: 3000 });
  let last: unknown;
  connection.on('error', (error) => (last = error));
  let timer: NodeJS.Timeout | undefined;
  try {
    // Our own (referenced) timer: rabbitmq-client's are unref'd and would let a CLI exit mid-await.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no AMQP login as guest on 127.0.0.1:${port} within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`)), timeoutMs);
    });
    await Promise.race([connection.onConnect(timeoutMs + 1000), timeout]);
  } finally {
    clearTimeout(timer);
    await connection.close().catch(() => undefined);
  }
}

/** The running and member nodes of the cluster as `node` sees it. */
export async function clusterStatus(node: ClusterNode): Promise<{ running: string[]; members: string[] }> {
  const json = JSON.parse(await ctl(node, ['-q', 'cluster_status', '--formatter', 'json'], { timeoutMs: 30_000 })) as { running_nodes?: string[]; disk_nodes?: string[]; ram_nodes?: string[] };
  return { running: json.running_nodes ?? [], members: [...(json.disk_nodes ?? []), ...(json.ram_nodes ?? [])] };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
