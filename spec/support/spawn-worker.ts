// Starts spec/support/worker-process.ts as a child process and waits for it to be ready.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export interface ChildWorker {
  readonly child: ChildProcess;
  readonly instanceId: string;
  /** Everything the child printed so far. */
  output(): string;
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();

/** Kills every worker child still running (call it in `after`, so a failed spec cannot leave one behind). */
export function killAllWorkers(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

/** Spawns a worker child (worker-process.ts, or another `script` that prints READY) and resolves once it printed READY. */
export async function spawnWorker(config: Record<string, unknown>, timeoutMs = 20_000, script = SCRIPT): Promise<ChildWorker> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const instanceId = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker child not ready after ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`worker child exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
  return { child, instanceId, output: () => out, exited };
}
