// leaveSoakFolder(): the end of every soak, however it ended. A soak that held every invariant removes its folder;
// one that found a violation, timed out or threw keeps it (configs, outboxes, each worker's whole log, the fault
// timeline) and prints where it is with the tail of each worker's output, so a failure can be explained afterwards.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SoakWorker } from './soak-worker.ts';

/** How many of each worker's last output lines are printed. */
const TAIL_LINES = 40;

/** What a soak leaves behind. */
export interface SoakFolder {
  readonly dir: string;
  readonly workers: readonly SoakWorker[];
  /** The fault timeline, written to `faults.log` when the folder is kept. */
  readonly faultLog: readonly string[];
  /** True only when the soak ran to its end and held every invariant. */
  readonly passed: boolean;
  readonly log: (line: string) => void;
}

/** Removes the folder of a soak that passed; keeps any other and prints its path and each worker's output tail. */
export function leaveSoakFolder(folder: SoakFolder): void {
  const { dir, workers, log } = folder;
  if (folder.passed) return rmSync(dir, { recursive: true, force: true });
  writeFileSync(path.join(dir, 'faults.log'), folder.faultLog.map((line) => `${line}\n`).join(''));
  const tails = workers.map((w, i) => `--- worker ${i + 1} (${w.logFile}), its last ${TAIL_LINES} lines:\n${tail(w.output)}`);
  log(`soak: failed; kept ${dir} for inspection (fault timeline: ${path.join(dir, 'faults.log')})\n${tails.join('\n')}`);
}

function tail(output: string): string {
  return output.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
}
