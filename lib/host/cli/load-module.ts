// Loads one job module by path, as Node would run it: .js, .mjs and .cjs are imported as they are (a compiled
// deployment never loads tsx); TypeScript gets tsx (an optional peer dependency), registered on first use.
// An ES-module TypeScript file (.mts, or .ts where package.json says "type": "module") goes through tsx's ESM
// hook. A CommonJS one (.cts, or .ts in a "commonjs" or typeless project, what `npm init -y` writes) goes
// through tsx's CommonJS require hook: tsx's ESM hook alone hands such a file back to Node's CommonJS loader
// untransformed, which sees `import` syntax, retries it as an ES module required from CommonJS while it is
// still being imported, and fails with Node's error about a cycle of ES modules loaded from CommonJS.
import { readFileSync } from 'node:fs';
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

type Exports = Record<string, unknown>;
/** tsx's CommonJS API (tsx/cjs/api): a namespaced require hook; only requires made through it are transformed. */
type CommonJsApi = { register(options: { namespace: string }): { readonly require: (id: string, fromFile: string) => unknown } };

let esmHook: Promise<boolean> | undefined;
let commonJs: Promise<((file: string) => unknown) | undefined> | undefined;

/** Imports a module file and returns its exports; registers tsx first when the file is TypeScript. */
export async function loadModule(file: string, cwd = process.cwd()): Promise<Exports> {
  if (!TYPESCRIPT.test(file)) return (await import(pathToFileURL(file).href)) as Exports;
  if (moduleFormat(file) === 'module') {
    if (!(await (esmHook ??= registerEsmHook(cwd)))) return nativeTypeScript(file);
    return (await import(pathToFileURL(file).href)) as Exports;
  }
  const load = await (commonJs ??= registerCommonJsHook(cwd));
  if (load === undefined) return nativeTypeScript(file);
  return load(file) as Exports;
}

/** 'module' when Node treats the file as an ES module (by its extension, else the nearest package.json's type). */
function moduleFormat(file: string): 'module' | 'commonjs' {
  if (/\.m[jt]s$/.test(file)) return 'module';
  if (/\.c[jt]s$/.test(file)) return 'commonjs';
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    let text: string | undefined;
    try {
      text = readFileSync(path.join(dir, 'package.json'), 'utf8');
    } catch {
      // no package.json here: look further up
    }
    if (text !== undefined) {
      try {
        return (JSON.parse(text) as { type?: unknown }).type === 'module' ? 'module' : 'commonjs';
      } catch {
        return 'commonjs'; // Node itself refuses a broken package.json when it loads the file, with its own message
      }
    }
    if (path.dirname(dir) === dir) return 'commonjs';
  }
}

/** True when the process was started with a TypeScript loader already (tsx, `node --import tsx`). */
function typeScriptLoaderActive(): boolean {
  return [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].some((arg) => /[\\/]tsx[\\/]|^tsx$|--import[= ]tsx\b/.test(arg));
}

// tsx is looked up from this package first, then from the user's project (the folder the worker runs in).
function tsxBases(cwd: string): string[] {
  return [import.meta.url, pathToFileURL(path.join(cwd, 'package.json')).href];
}

async function registerEsmHook(cwd: string): Promise<boolean> {
  if (typeScriptLoaderActive()) return true;
  for (const base of tsxBases(cwd)) {
    let resolved: string;
    try {
      resolved = createRequire(base).resolve('tsx/esm/api');
    } catch {
      continue;
    }
    const api = (await import(pathToFileURL(resolved.replace(/\.cjs$/, '.mjs')).href)) as { register(): unknown };
    api.register();
    return true;
  }
  esmHook = undefined; // a later attempt (after installing tsx) may succeed
  return false;
}

async function registerCommonJsHook(cwd: string): Promise<((file: string) => unknown) | undefined> {
  for (const base of tsxBases(cwd)) {
    let api: CommonJsApi;
    try {
      api = createRequire(base)('tsx/cjs/api') as CommonJsApi;
    } catch {
      continue;
    }
    // A namespace of its own: the hook transforms only what this loader requires, never the worker's own requires.
    const tsx = api.register({ namespace: 'milvaion-worker' });
    return (file) => tsx.require(file, import.meta.url);
  }
  commonJs = undefined;
  return undefined;
}

/** Without tsx: Node's own type stripping (Node 23.6+) can load it, else the error says what to install. */
async function nativeTypeScript(file: string): Promise<Exports> {
  const features = process.features as { typescript?: unknown };
  if (features.typescript) return (await import(pathToFileURL(file).href)) as Exports;
  throw new TypeScriptLoaderMissingError(file);
}
