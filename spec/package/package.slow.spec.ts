// The package as a user gets it: `npm pack`, the tarball installed into an empty folder with no tsx, then
// plain-Node ESM and CommonJS consumers, a strict TypeScript consumer, the installed CLI, an `init` scaffold
// that installs and passes its own test and typecheck, publint + attw over the same tarball, and the manifest's
// promises: no install-time script, source maps that carry their sources, a dry run that changes nothing.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { packPackage, USER_ENV } from '../support/pack-package.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OWN = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
const work = mkdtempSync(path.join(tmpdir(), 'package-spec-'));
const consumer = path.join(work, 'consumer');
after(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: readonly string[], cwd: string, options: SpawnSyncOptions = {}) {
  // Children run as a user's would: not under this test runner, and with no TypeScript loader inherited.
  const result = spawnSync(command, args, { cwd, env: USER_ENV, encoding: 'utf8', timeout: 240_000, ...options });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr), all: `${String(result.stdout)}\n${String(result.stderr)}` };
}

function npm(args: readonly string[], cwd: string) {
  return run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], cwd);
}

let tarball = '';
let packedFiles: string[] = [];
let stage = '';
let installOutput = '';

describe('the npm package, installed from its tarball', { timeout: 600_000 }, () => {
  before(() => {
    // npm pack runs `prepack`, which builds dist/ from lib/ (in a copy of the checkout).
    ({ tarball, files: packedFiles, stage } = packPackage(work));
    cpSync(path.join(ROOT, 'spec/package/consumer'), consumer, { recursive: true });
    writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // bullmq: milvaion-worker/bullmq's declarations name its types (an optional peer that its users have).
    const installed = npm(['install', tarball, `typescript@${OWN.devDependencies['typescript']}`, `@types/node@${OWN.devDependencies['@types/node']}`, `bullmq@${OWN.devDependencies['bullmq']}`], consumer);
    assert.equal(installed.status, 0, installed.all);
    installOutput = installed.all;
  });

  it('packs only runtime files and the guides: dist, docs, README, CHANGELOG, LICENSE and package.json', () => {
    const outside = packedFiles.filter((f) => !f.startsWith('dist/') && !/^docs\/[a-z-]+\.md$/.test(f) && !['README.md', 'CHANGELOG.md', 'LICENSE', 'package.json'].includes(f));
    assert.deepEqual(outside, []);
    assert.ok(packedFiles.includes('LICENSE'));
    assert.match(readFileSync(path.join(ROOT, 'LICENSE'), 'utf8'), /^MIT License/);
    for (const entry of ['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/host/cli/cli-entry.js', 'dist/outbox/probe-outbox-store.mjs']) assert.ok(packedFiles.includes(entry), entry);
    assert.deepEqual(packedFiles.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.d.mts')), [], 'no TypeScript source');
    assert.deepEqual(packedFiles.filter((f) => /spec|bench|soak|sample|\.ci|tsconfig/.test(f)), []);
  });

  it('publishes a manifest with no install-time script, so installing the tarball warns about none', () => {
    const manifest = JSON.parse(readFileSync(path.join(consumer, 'node_modules/milvaion-worker/package.json'), 'utf8')) as { scripts?: Record<string, string> };
    for (const script of ['prepare', 'preinstall', 'install', 'postinstall']) assert.equal(manifest.scripts?.[script], undefined, `scripts.${script}`);
    assert.equal(manifest.scripts?.['prepack'], 'node .ci/prepack.mjs');
    // npm 11 lists a dependency's install-time scripts after every install ("install-scripts … not yet covered").
    assert.doesNotMatch(installOutput, /milvaion-worker@\S+ \(/, installOutput);
  });

  it('ships source maps that carry their TypeScript sources, and no declaration maps', () => {
    assert.deepEqual(packedFiles.filter((f) => /\.d\.[mc]?ts\.map$/.test(f)), [], 'declaration maps point at lib/, which is not shipped');
    const scripts = packedFiles.filter((f) => /\.[mc]?js$/.test(f));
    const maps = packedFiles.filter((f) => f.endsWith('.map'));
    assert.ok(maps.length > 100, `${maps.length} source maps`);
    assert.deepEqual(maps, scripts.map((f) => `${f}.map`).sort(), 'one map per script');
    const installed = path.join(consumer, 'node_modules/milvaion-worker');
    for (const file of maps) {
      const map = JSON.parse(readFileSync(path.join(installed, file), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      assert.ok(map.sources.length > 0, file);
      assert.equal(map.sourcesContent?.length, map.sources.length, `${file}: sourcesContent`);
      for (const content of map.sourcesContent ?? []) assert.ok(typeof content === 'string' && content.length > 0, `${file}: an empty source`);
    }
    const index = JSON.parse(readFileSync(path.join(installed, 'dist/index.js.map'), 'utf8')) as { sourcesContent: string[] };
    assert.equal(index.sourcesContent[0], readFileSync(path.join(stage, 'lib/index.ts'), 'utf8'));
  });

  it('declares the ranges it is tested with: Node 20, 22 and 24, BullMQ 5 and 6, and ioredis as the optional peer BullMQ 6 needs', () => {
    const manifest = JSON.parse(readFileSync(path.join(consumer, 'node_modules/milvaion-worker/package.json'), 'utf8')) as {
      engines: { node: string };
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    assert.equal(manifest.engines.node, '^20.19.0 || ^22.12.0 || ^24.0.0');
    assert.ok(manifest.engines.node.includes(`^${process.versions.node.split('.')[0]!}.`), `this Node (${process.version}) is one that engines names`);
    assert.equal(manifest.peerDependencies['bullmq'], '>=5 <7');
    assert.equal(manifest.peerDependencies['ioredis'], '>=5');
    assert.equal(manifest.peerDependenciesMeta['bullmq']?.optional, true);
    assert.equal(manifest.peerDependenciesMeta['ioredis']?.optional, true);
    // Optional peers are not installed with the package: the consumer asked for bullmq, and ioredis stays out.
    assert.equal(existsSync(path.join(consumer, 'node_modules/ioredis')), false);
  });

  it('npm pack --dry-run changes nothing on disk', () => {
    const listing = () =>
      (function walk(dir: string): string[] {
        return readdirSync(dir).flatMap((name) => {
          const full = path.join(dir, name);
          const stat = statSync(full);
          return stat.isDirectory() ? walk(full) : [`${path.relative(stage, full)} ${stat.size} ${stat.mtimeMs}`];
        });
      })(path.join(stage, 'dist')).sort();
    const destination = path.join(work, 'dry-run');
    mkdirSync(destination);
    const before = listing();
    assert.ok(before.length > 100, `${before.length} files in dist/`);
    const dry = run('npm', ['pack', '--dry-run', '--json', '--pack-destination', destination], stage);
    assert.equal(dry.status, 0, dry.all);
    assert.match(dry.stderr, /dry run, dist\/ not rebuilt/);
    const listed = (JSON.parse(dry.stdout.slice(dry.stdout.indexOf('['))) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path).sort();
    assert.deepEqual(listed, packedFiles);
    assert.deepEqual(listing(), before);
    assert.deepEqual(readdirSync(destination), []);
  });

  it('emits declarations with .js import paths and no Node-internal types', () => {
    const dist = path.join(consumer, 'node_modules/milvaion-worker/dist');
    const declarations = (function walk(dir: string): string[] {
      return readdirSync(dir).flatMap((name) => {
        const full = path.join(dir, name);
        return statSync(full).isDirectory() ? walk(full) : /\.d\.m?ts$/.test(name) ? [full] : [];
      });
    })(dist);
    assert.ok(declarations.length > 50, `${declarations.length} declaration files`);
    for (const file of declarations) {
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /from ['"]\.{1,2}\/[^'"]*\.ts['"]|import\(['"]\.{1,2}\/[^'"]*\.ts['"]\)/, `${file}: a .ts import path`);
      assert.doesNotMatch(text, /node:internal|internal\/|\/lib\/.*\.ts/, `${file}: an internal reference`);
    }
  });

  it('installs without tsx, and runs a plain-Node ESM consumer and a CommonJS consumer', () => {
    assert.equal(existsSync(path.join(consumer, 'node_modules/tsx')), false, 'tsx must not be installed with the package');
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const result = run(process.execPath, [file], consumer);
      assert.equal(result.status, 0, `${file}: ${result.all}`);
      assert.deepEqual(JSON.parse(result.stdout.trim()), { embedded: '{"echoed":{"n":1}}', handler: 'Completed', result: '{"echoed":{"n":2}}' }, file);
      assert.doesNotMatch(result.stderr, /Warning/, `${file}: ${result.stderr}`);
    }
  });

  it('type-checks a strict nodenext TypeScript consumer with skipLibCheck off', () => {
    writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] },
        files: ['app.ts'],
      }),
    );
    const checked = run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], consumer);
    assert.equal(checked.status, 0, checked.all);
    assert.equal(checked.stdout.trim(), '');
  });

  it('runs the installed CLI: --help, check on JavaScript jobs, and TypeScript jobs without tsx (a clear error where Node cannot strip types)', () => {
    const bin = path.join(consumer, 'node_modules/.bin/milvaion-worker');
    const help = run(bin, ['--help'], consumer);
    assert.equal(help.status, 0, help.all);
    assert.match(help.stdout, /milvaion-worker <command>/);
    assert.match(run(bin, ['init', '--help'], consumer).stdout, /--from/);
    const js = run(bin, ['check', '--config', 'appsettings.json', 'jobs'], consumer);
    assert.equal(js.status, 0, js.all);
    assert.match(js.stdout, /EchoJob/);
    assert.doesNotMatch(js.all, /consumer-sekret/);
    const ts = run(bin, ['check', '--config', 'appsettings.json', 'ts-jobs'], consumer);
    // Node 22.18+ and 24 strip TypeScript types themselves (process.features.typescript); Node 20 needs tsx.
    if ('typescript' in process.features && process.features.typescript) {
      assert.equal(ts.status, 0, ts.all);
      assert.match(ts.stdout, /EchoJob/);
    } else {
      assert.equal(ts.status, 78, ts.all);
      assert.match(ts.stderr, /ts-jobs\/echo-job\.ts is TypeScript, and no TypeScript loader is available\. Install tsx/);
    }
  });

  it('init scaffolds from the tarball; the scaffold installs and passes its own test and typecheck', () => {
    const bin = path.join(consumer, 'node_modules/.bin/milvaion-worker');
    const project = path.join(work, 'my-worker');
    const init = run(bin, ['init', project], work);
    assert.equal(init.status, 0, init.all);
    const pkg = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    assert.equal(pkg.dependencies['milvaion-worker'], `file:${tarball}`);
    const install = npm(['install'], project);
    assert.equal(install.status, 0, install.all);
    const test = npm(['test'], project);
    assert.equal(test.status, 0, test.all);
    // Node's summary: TAP (`# pass 2`) when stdout is no terminal on Node 20 and 22, the spec reporter's `ℹ pass 2` on 24.
    assert.match(test.stdout, /^[#ℹ] pass 2\b/m);
    assert.match(test.stdout, /^[#ℹ] fail 0\b/m);
    const typecheck = npm(['run', 'typecheck'], project);
    assert.equal(typecheck.status, 0, typecheck.all);
    // The scaffold's jobs are TypeScript; its devDependency tsx lets the installed CLI load them.
    const check = run(path.join(project, 'node_modules/.bin/milvaion-worker'), ['check', 'jobs'], project);
    assert.equal(check.status, 0, check.all);
    assert.match(check.stdout, /SendEmailJob/);
  });

  it('passes publint and attw on the same tarball', () => {
    const publint = run(path.join(ROOT, 'node_modules/.bin/publint'), ['run', tarball, '--strict'], ROOT);
    assert.equal(publint.status, 0, publint.all);
    // ESM only: CommonJS loads it with require(esm), which attw's node16-cjs rule predates, so the esm-only profile.
    const attw = run(path.join(ROOT, 'node_modules/.bin/attw'), [tarball, '--profile', 'esm-only', '--format', 'table-flipped'], ROOT);
    assert.equal(attw.status, 0, attw.all);
    assert.match(attw.stdout, /milvaion-worker/);
  });
});
