// Job discovery, the analog of the .NET SDK's assembly scanning: load the given modules (or every module in
// the given folders) and collect each exported defineJob() definition and defineSetup() setup.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import type { AnyJobDefinition } from '../../core/vocabulary/types.js';
import { isJobDefinition } from '../../define-job.js';
import { isWorkerSetup, type WorkerSetup } from '../../define-setup.js';
import { loadModule, TypeScriptLoaderMissingError } from './load-module.js';
import { toLoadProblem } from './to-load-problem.js';

/** What the modules export. */
export interface DiscoveredModules {
  readonly jobs: readonly AnyJobDefinition[];
  readonly setups: readonly WorkerSetup[];
  /** Every module file that was loaded. */
  readonly files: readonly string[];
}

const MODULE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const TYPESCRIPT = /\.[mc]?ts$/;
const SKIP = /(\.d\.[mc]?ts|\.spec\.[mc]?[jt]s|\.test\.[mc]?[jt]s)$/;

/** Lists the module files of a path: the file itself, or every module under a folder (no node_modules, specs or dot-folders). */
function listModules(target: string): string[] {
  const stat = statSync(target);
  if (stat.isFile()) return [target];
  const out: string[] = [];
  for (const entry of readdirSync(target, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) out.push(...listModules(full));
    else if (MODULE.test(entry.name) && !SKIP.test(entry.name)) out.push(full);
  }
  return out;
}

/** Loads the modules and collects jobs and setups; every path or import problem is reported, not just the first. */
export async function discoverModules(targets: readonly string[], cwd = process.cwd()): Promise<Result<DiscoveredModules, string[]>> {
  const problems: string[] = [];
  const files: string[] = [];
  for (const target of targets) {
    const full = path.resolve(cwd, target);
    try {
      files.push(...listModules(full));
    } catch (error) {
      problems.push(`${target}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`);
    }
  }
  const jobs = new Set<AnyJobDefinition>();
  const setups = new Set<WorkerSetup>();
  // JavaScript first: it loads before a TypeScript module registers tsx, so tsx's hooks cannot change how
  // Node loads it (with them, a typeless ES-syntax .js fails as a require(esm) cycle on Node 20).
  const ordered = [...files.filter((f) => !TYPESCRIPT.test(f)), ...files.filter((f) => TYPESCRIPT.test(f))];
  for (const file of ordered) {
    try {
      const exports = await loadModule(file, cwd);
      for (const value of Object.values(exports)) {
        if (isJobDefinition(value)) jobs.add(value as AnyJobDefinition);
        else if (isWorkerSetup(value)) setups.add(value);
        else if (Array.isArray(value)) for (const item of value) if (isJobDefinition(item)) jobs.add(item as AnyJobDefinition);
      }
    } catch (error) {
      if (error instanceof TypeScriptLoaderMissingError) problems.push(error.message.replace(file, path.relative(cwd, file)));
      else problems.push(toLoadProblem(error, file, cwd));
    }
  }
  const byName = new Map<string, AnyJobDefinition>();
  for (const job of jobs) {
    const other = byName.get(job.name.toLowerCase());
    if (other !== undefined) problems.push(`two different jobs are named ${job.name}`);
    byName.set(job.name.toLowerCase(), job);
  }
  if (files.length > 0 && jobs.size === 0 && problems.length === 0) problems.push(`no defineJob() export found in ${files.length} module(s)`);
  if (targets.length === 0) problems.push('no module or folder given: name the modules that export your jobs');
  return problems.length > 0 ? err(problems) : ok({ jobs: [...jobs], setups: [...setups], files });
}
