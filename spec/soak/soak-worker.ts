// A soak's worker process: the CLI's `run` (from source, through tsx) on the soak job mix with its own config
// and outbox folder, restartable after a kill, with its output tail and its peak RSS recorded.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TSX_IMPORT } from '../support/tsx-loader.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The CLI from source: tsx loads it (a deployment runs the compiled dist/host/cli-entry.js; spec/package checks that).
const ENTRY = path.join(ROOT, 'lib/host/cli/cli-entry.ts');
const JOBS = path.join(ROOT, 'spec/soak/soak-jobs.ts');
const OUTPUT_KEPT = 64 * 1024;

/** One worker process of a soak. */
export interface SoakWorker {
  /** Its `OfflineResilience:LocalStoragePath`. */
  readonly outboxDir: string;
  /** The highest RSS sampled so far (every 500 ms, across restarts). */
  readonly maxRssMb: number;
  /** The last 64 KiB of its stdout and stderr (all of it is in {@link SoakWorker.logFile}). */
  readonly output: string;
  /** `worker.log` in its folder: everything every run of it wrote, with a line at each start and stop. */
  readonly logFile: string;
  /** Every exit the soak did not ask for (no stop() or dispose() before it), as `process PID exited (code N) at ISO time`. */
  readonly ownExits: readonly string[];
  /** What its health server answers now on /health/live and /health/ready (its own view of its connections and heartbeats). */
  health(): Promise<string>;
  /** Starts the process (again, after a stop). */
  start(): void;
  /** Sends `signal` and resolves once the process has exited. */
  stop(signal: NodeJS.Signals): Promise<void>;
  /** SIGKILLs the process if it runs and stops sampling its RSS. */
  dispose(): void;
}

/** Options of {@link createSoakWorker}: its folder, and the sections of `Worker` that differ between soaks. */
export interface SoakWorkerOptions {
  /** Holds its appsettings.json and outbox; the process runs there. */
  readonly dir: string;
  readonly workerId: string;
  /** The `Worker:RabbitMQ` section. */
  readonly rabbitMq: Record<string, unknown>;
  /** The `Worker:Redis` section. */
  readonly redis: Record<string, unknown>;
  /** Other keys of `Worker` (SharedOccurrenceRecords…). */
  readonly worker?: Record<string, unknown>;
  /** A free port on 127.0.0.1 for its health server (`Worker:HealthCheck:HttpPort`). */
  readonly healthPort: number;
}

/** Writes the worker's appsettings.json into `dir`; start() runs it. */
export function createSoakWorker(options: SoakWorkerOptions): SoakWorker {
  const { dir } = options;
  mkdirSync(dir, { recursive: true });
  const outboxDir = path.join(dir, 'outbox');
  const config = path.join(dir, 'appsettings.json');
  writeFileSync(config, JSON.stringify({
    Worker: {
      WorkerId: options.workerId,
      LogLevel: 'info',
      ShutdownTimeoutSeconds: 2,
      RabbitMQ: options.rabbitMq,
      Redis: options.redis,
      Heartbeat: { IntervalSeconds: 1, JobHeartbeatIntervalSeconds: 1 },
      OfflineResilience: { LocalStoragePath: outboxDir, SyncIntervalSeconds: 1 },
      ...options.worker,
      HealthCheck: { Enabled: true, HttpPort: options.healthPort, LiveFilePath: path.join(dir, 'live'), ReadyFilePath: path.join(dir, 'ready'), IntervalSeconds: 1 },
    },
  }));
  const { NODE_TEST_CONTEXT: _ignored, ...env } = process.env;
  let child: ChildProcess | undefined;
  let output = '';
  let maxRss = 0;
  const logFile = path.join(dir, 'worker.log');
  const file = createWriteStream(logFile, { flags: 'a' });
  const append = (b: Buffer) => {
    file.write(b);
    output = (output + b.toString()).slice(-OUTPUT_KEPT);
  };
  const rssTimer = setInterval(() => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child?.pid}/status`, 'utf8'))?.[1] ?? 0);
      maxRss = Math.max(maxRss, kb / 1024);
    } catch {
      // between a kill and a restart
    }
  }, 500);
  // The soak's own lines between the worker's, so a reader sees which run wrote what.
  const mark = (line: string) => append(Buffer.from(`--- soak ${new Date().toISOString()}: ${line}\n`));
  const ownExits: string[] = [];
  let stopping: ChildProcess | undefined;
  return {
    outboxDir,
    logFile,
    ownExits,
    get maxRssMb() {
      return maxRss;
    },
    get output() {
      return output;
    },
    async health() {
      const ask = async (route: string) => {
        try {
          const response = await fetch(`http://127.0.0.1:${options.healthPort}${route}`, { signal: AbortSignal.timeout(3000) });
          return `${route} ${response.status} ${await response.text()}`;
        } catch (error) {
          return `${route} no answer (${error instanceof Error ? error.message : String(error)})`;
        }
      };
      return `${await ask('/health/live')}; ${await ask('/health/ready')}`;
    },
    start() {
      const started = spawn(process.execPath, [...TSX_IMPORT, ENTRY, 'run', '--config', config, JOBS], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      mark(`started process ${started.pid}`);
      started.stdout!.on('data', append);
      started.stderr!.on('data', append);
      started.once('exit', (code, signal) => {
        const line = `process ${started.pid} exited (${signal ?? `code ${code}`})`;
        mark(line);
        if (stopping !== started) ownExits.push(`${line} at ${new Date().toISOString()}`);
      });
    },
    async stop(signal) {
      const c = child;
      if (c === undefined) return;
      const exited = new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve())));
      mark(`${signal} to process ${c.pid}`);
      stopping = c;
      c.kill(signal);
      await exited;
    },
    dispose() {
      clearInterval(rssTimer);
      stopping = child;
      child?.kill('SIGKILL');
      file.end();
    },
  };
}
