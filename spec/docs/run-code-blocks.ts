// runCodeBlocks(): each runnable block as its own process (`tsx <file>`, cwd = its document's folder), one
// after another, each within a time bound; anything but exit 0 is a problem at the block's first line.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { DocProblem } from './doc-problem.ts';
import type { WrittenBlock } from './write-code-blocks.ts';

const TSX_CLI = createRequire(import.meta.url).resolve('tsx/cli');
const TAIL = 1500;

/** How runnable blocks run. */
export interface RunOptions {
  /** Per block; past it the process is killed and reported. */
  readonly timeoutMs: number;
  /** Added to the environment of every block (e.g. `AMQP_URL`). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs every runnable block of `written`; returns a problem per block that did not exit 0 in time. */
export async function runCodeBlocks(written: readonly WrittenBlock[], options: RunOptions): Promise<DocProblem[]> {
  const problems: DocProblem[] = [];
  for (const w of written.filter((x) => x.block.runnable)) {
    const failure = await runOne(w, options);
    if (failure !== undefined) problems.push({ document: w.block.document, line: w.block.line, message: `runnable block ${w.block.fileName} ${failure}` });
  }
  return problems;
}

function runOne(w: WrittenBlock, options: RunOptions): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TSX_CLI, path.relative(w.folder, w.file)], {
      cwd: w.folder,
      env: toBlockEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-TAIL * 2);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(`could not start: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = output.trim().slice(-TAIL);
      if (timedOut) resolve(`did not end within ${options.timeoutMs} ms; its output: ${tail}`);
      else if (code !== 0) resolve(`exited with ${code ?? signal}; its output: ${tail}`);
      else resolve(undefined);
    });
  });
}

/** The environment a user's shell would give: this one plus `extra`, without the test runner's own markers. */
function toBlockEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  // Under `tsx --test` this says "report to a parent runner": a block's own node:test output would come in the
  // runner's binary protocol, not the text a user sees (and the problem reports).
  delete env['NODE_TEST_CONTEXT'];
  return env;
}
