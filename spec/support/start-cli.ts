// Starts `milvaion-worker run` from this checkout's source in a child process (tsx loads it), collecting its output.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TSX_IMPORT } from './tsx-loader.ts';

const ENTRY = path.join(fileURLToPath(new URL('../../', import.meta.url)), 'lib/host/cli/cli-entry.ts');
// Children must not think they run under this test runner (it changes how node --test reports).
const { NODE_TEST_CONTEXT: _ignored, ...ENV } = process.env;

/** Runs the CLI with `run --config <config> <jobs>` in `cwd`; `output()` is stdout and stderr so far. */
export function startCli(config: string, jobs: string, cwd: string) {
  const child = spawn(process.execPath, [...TSX_IMPORT, ENTRY, 'run', '--config', config, jobs], { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Runs the CLI with `args` in `cwd` until it exits; `env` replaces the environment (default: this one's). */
export async function runCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = ENV): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...TSX_IMPORT, ENTRY, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

/** This process's environment without the variables that would point the CLI at a configuration. */
export const ENV_WITHOUT_CONFIG: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(ENV).filter(([key]) => key !== 'MILVAION_CONFIG' && !/^(Worker|JobConsumers)__/i.test(key)));
