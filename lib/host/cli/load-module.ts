// Loads one job module by path. Plain .js/.mjs modules are imported as they are; a TypeScript module gets tsx
// (an optional peer dependency) registered first, once, and only then: a compiled deployment never loads it.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPESCRIPT = /\.[mc]?ts$/;

/** Why a TypeScript module cannot be loaded, with what to do about it. */
export class TypeScriptLoaderMissingError extends Error {
  constructor(file: string) {
    super(
      `${file} is TypeScript, and no TypeScript loader is available. Install tsx next to milvaion-worker ` +
        `(npm install tsx) or compile your job modules to JavaScript and point the worker at the .js files.`,
    );
    this.name = 'TypeScriptLoaderMissingError';
  }
}

let loader: Promise<void> | undefined;

/** Imports a module file and returns its exports; registers tsx first when the file is TypeScript. */
export async function loadModule(file: string, cwd = process.cwd()): Promise<Record<string, unknown>> {
  if (TYPESCRIPT.test(file)) await (loader ??= registerTypeScript(file, cwd));
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/** True when the process was started with a TypeScript loader already (tsx, `node --import tsx`). */
function typeScriptLoaderActive(): boolean {
  return [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].some((arg) => /[\\/]tsx[\\/]|^tsx$|--import[= ]tsx\b/.test(arg));
}

async function registerTypeScript(file: string, cwd: string): Promise<void> {
  if (typeScriptLoaderActive()) return;
  // tsx is looked up from this package first, then from the user's project (the folder the worker runs in).
  for (const base of [import.meta.url, pathToFileURL(path.join(cwd, 'package.json')).href]) {
    let resolved: string;
    try {
      resolved = createRequire(base).resolve('tsx/esm/api');
    } catch {
      continue;
    }
    const api = (await import(pathToFileURL(resolved.replace(/\.cjs$/, '.mjs')).href)) as { register(): unknown };
    api.register();
    return;
  }
  const features = process.features as { typescript?: unknown };
  if (features.typescript) return; // Node's own type stripping (Node 23.6+) can load it
  loader = undefined; // a later attempt (after installing tsx) may succeed
  throw new TypeScriptLoaderMissingError(file);
}
