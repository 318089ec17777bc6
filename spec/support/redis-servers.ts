// redis-server processes of a spec's own, on free ports of 127.0.0.1, for failover specs (the machine's Redis on
// 6379 is shared and never stopped): a node (optionally a replica of another), or a Sentinel watching a primary.
// Every process is killed by stopAll() in the spec's `after`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';
import type { RedisSettings } from '../../lib/control/redis/parse-cancellation.ts';
import { createCancellationPublisher, type PublishedCancellation } from '../../lib/scheduler-client/create-cancellation-publisher.ts';

/** One redis-server process of the spec. */
export interface RedisServer {
  readonly port: number;
  /** Sends one command and resolves with its reply as text (RESP read loosely: enough for status, integer and bulk replies). */
  command(...args: string[]): Promise<string>;
  /** Kills the process (SIGKILL: a node that dies, not one that shuts down politely) and waits for it to exit. */
  kill(): Promise<void>;
}

const started = new Set<ChildProcess>();
const dirs: string[] = [];

/** Starts `redis-server` on a free port (or `port`) with the given extra arguments and waits until it answers PING. */
export async function startRedisServer(extra: readonly string[] = [], port?: number): Promise<RedisServer> {
  port ??= await freePort();
  // A replica writes the primary's snapshot into its dir even with --save "": a temporary one, not the cwd.
  const dir = mkdtempSync(path.join(tmpdir(), 'spec-redis-'));
  dirs.push(dir);
  return launch(port, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...extra]);
}

/** Starts a Sentinel (`redis-server --sentinel`) that watches `primaryPort` as `name`, with a quorum of 1. */
export async function startSentinel(name: string, primaryPort: number): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'spec-sentinel-'));
  dirs.push(dir);
  const conf = path.join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 1`, `sentinel down-after-milliseconds ${name} 1000`, `sentinel failover-timeout ${name} 3000`, ''].join('\n'),
  );
  return launch(port, [conf, '--sentinel']);
}

/** Publishes one cancel as the scheduler does, through a publisher of these settings made for it and closed after. */
export async function publishOnce(settings: RedisSettings, occurrenceId: string, reason: string): Promise<PublishedCancellation> {
  const publisher = createCancellationPublisher(settings);
  try {
    return await publisher.publish({ occurrenceId, reason });
  } finally {
    await publisher.close();
  }
}

/** Kills every process started here and removes their files. */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((child) => stop(child)));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

async function launch(port: number, args: readonly string[]): Promise<RedisServer> {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  started.add(child);
  child.on('exit', () => started.delete(child));
  const server: RedisServer = { port, command: (...a) => send(port, a), kill: () => stop(child) };
  for (let i = 0; ; i++) {
    // A server with --requirepass answers NOAUTH: it is up all the same.
    const pong = await server.command('PING').catch((error: Error) => (error.message.startsWith('NOAUTH') ? 'PONG' : ''));
    if (pong === 'PONG') return server;
    if (i > 100 || child.exitCode !== null) throw new Error(`redis-server ${args.join(' ')} did not answer on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function send(port: number, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('no reply within 2 s')));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (!reply.endsWith('\r\n')) return;
      socket.end();
      const lines = reply.split('\r\n').filter((l) => l !== '');
      const first = lines[0] ?? '';
      if (first.startsWith('-')) reject(new Error(first.slice(1)));
      else resolve(first.startsWith('$') || first.startsWith('*') ? lines.slice(1).filter((l) => !/^[$*]/.test(l)).join(' ') : first.slice(1));
    });
  });
}
