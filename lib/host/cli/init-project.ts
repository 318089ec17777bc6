// `milvaion-worker init`: scaffolds a worker project (the .NET `milvaion-console-worker` / `-api-worker`
// templates): package.json, a sample job and setup, appsettings.json, and a test on the embedded transport.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ok, type Result } from 'neverthrow';
import { scaffoldFiles } from './scaffold-files.js';

/** This package's root: the same three levels up from lib/host/cli (a checkout under tsx) and dist/host/cli (compiled). */
const OWN_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OWN = JSON.parse(readFileSync(path.join(OWN_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

/**
 * The dependency spec the scaffold gets for milvaion-worker: `--from` (a checkout folder or a packed tarball)
 * as a `file:` spec; else what the running copy was installed from (a registry install gives `^version`, a
 * tarball install the same tarball); else, run from a checkout, that checkout.
 */
export function toDependencySpec(from: string | undefined, ownRoot = OWN_ROOT, version = OWN.version): Result<string, string> {
  if (from !== undefined) {
    const full = path.resolve(from);
    if (!existsSync(full)) return err(`--from ${from}: no such file or folder`);
    if (statSync(full).isDirectory() && !existsSync(path.join(full, 'package.json'))) return err(`--from ${from}: not a package folder (no package.json)`);
    return ok(`file:${full}`);
  }
  const parts = path.resolve(ownRoot).split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return ok(`file:${path.resolve(ownRoot)}`);
  const project = parts.slice(0, at).join(path.sep) || path.sep;
  const key = parts.slice(at).join('/');
  for (const lock of [path.join(project, 'node_modules', '.package-lock.json'), path.join(project, 'package-lock.json')]) {
    try {
      const resolved = (JSON.parse(readFileSync(lock, 'utf8')) as { packages?: Record<string, { resolved?: string }> }).packages?.[key]?.resolved;
      if (resolved?.startsWith('file:')) return ok(`file:${path.resolve(project, resolved.slice('file:'.length))}`);
      if (resolved !== undefined) break;
    } catch {
      // no lockfile here: try the next, else assume the registry
    }
  }
  return ok(`^${version}`);
}

/** Writes the project files; refuses a folder that is not empty. Returns the files written. */
export function initProject(options: { dir: string; template: 'console' | 'api'; from?: string | undefined }): Result<string[], string> {
  const dir = path.resolve(options.dir);
  if (existsSync(dir) && readdirSync(dir).length > 0) return err(`${dir} is not empty; choose a new folder`);
  const name = path.basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'my-worker';
  const dependency = toDependencySpec(options.from);
  if (dependency.isErr()) return err(dependency.error);
  const files = scaffoldFiles({ name, template: options.template, dependency: dependency.value, dependencies: OWN.dependencies, devDependencies: { ...OWN.devDependencies } });
  const written: string[] = [];
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(dir, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
    written.push(file);
  }
  return ok(written);
}
