// buildPackageCopy(): this checkout built into a temporary package folder (`tsc -p lib --outDir <tmp>/dist`),
// with the checkout's package.json (name, type, exports) and node_modules linked, so files placed inside it
// import `milvaion-worker` and its subpaths by package self-reference, resolved to the compiled declarations
// and JavaScript a user installs. Never the checkout's own dist/: other runs rebuild it at any time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** A built copy of the package in a temporary folder. */
export interface PackageCopy {
  readonly root: string;
  remove(): void;
}

/** Builds lib/ into a temporary package named as the checkout's package.json says. */
export function buildPackageCopy(): PackageCopy {
  const root = mkdtempSync(path.join(tmpdir(), 'milvaion-worker-docs-'));
  const built = spawnSync(process.execPath, [TSC, '-p', path.join(ROOT, 'lib'), '--outDir', path.join(root, 'dist')], { cwd: ROOT, encoding: 'utf8' });
  // tsc emits despite type errors (exit 2); those are lib's, reported by `npm run check`, and the docs can still
  // be checked against what was emitted. No emit at all (exit 1, or no dist/index.d.ts) stops here.
  if (built.status !== 0 && !(built.status === 2 && existsSync(path.join(root, 'dist/index.d.ts')))) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`tsc -p lib failed (exit ${built.status ?? built.signal}), so the docs cannot be checked against the package:\n${built.stdout}${built.stderr}`);
  }
  if (built.status === 2) process.stderr.write(`spec/docs: tsc -p lib reported type errors (npm run check lists them); the docs are checked against what it emitted:\n${built.stdout}`);
  const own = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const manifest = { name: own['name'], version: own['version'], type: own['type'], exports: own['exports'], main: own['main'], types: own['types'] };
  writeFileSync(path.join(root, 'package.json'), JSON.stringify(manifest, null, 2));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
