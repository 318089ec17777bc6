// A second Redis for the benchmarks, with BullMQ's production persistence: an append-only file fsynced every
// second (appendonly yes, appendfsync everysec), in a temporary folder, on a free port of 127.0.0.1. The
// machine's own Redis keeps nothing on disk, which flatters BullMQ against a worker that fsyncs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../support/free-port.ts';

/** A running durable Redis: its port, and stop() that ends it and deletes its folder. */
export interface DurableRedis {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts redis-server with the append-only file on, and waits until it answers PING. */
export async function startDurableRedis(): Promise<DurableRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-redis-aof-'));
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--daemonize', 'no'];
  const child: ChildProcess = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    const answered = await probe.connect().then(() => probe.ping()).then(() => true, () => false);
    probe.disconnect();
    if (answered) return { port, stop };
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`redis-server with appendonly did not answer on 127.0.0.1:${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
