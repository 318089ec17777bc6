// Spec files name their tier: `name.spec.ts` is a unit spec (no network, no process; `npm run test:unit` runs these
// in parallel under spec/support/unit-guard.ts), `name.int.spec.ts` talks to RabbitMQ, Redis, a local socket or a
// helper process, `name.slow.spec.ts` runs the CLI, a worker process, the package, soak or cluster. Checked here:
// every name has one of the three forms, no unit spec imports (itself or through the spec/ files it imports) a module
// that opens sockets or starts processes, and package.json's scripts pick the tiers by these names.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SPEC = path.join(ROOT, 'spec');

/** The three forms: kebab-case words, then `.int` or `.slow` or nothing, then `.spec.ts`. */
const TIER_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.(int|slow))?\.spec\.ts$/;

/**
 * What a unit spec may not load: the modules that open sockets or start processes. lib/ is not followed: it loads
 * its clients on first use, and the runtime guard catches a unit spec that uses them.
 */
const FORBIDDEN_MODULES = new Set(['net', 'tls', 'http', 'https', 'http2', 'dgram', 'child_process', 'cluster', 'rabbitmq-client', 'redis', 'ioredis', 'bullmq']);
/** spec/ files that are programs: loading one runs it (a worker on RabbitMQ). */
const PROGRAMS = new Set(['spec/support/worker-process.ts']);

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (e.name === 'node_modules' ? [] : walk(path.join(dir, e.name))) : [path.join(dir, e.name)]));
}

const toRelative = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');
const specFiles = walk(SPEC).map(toRelative).filter((file) => file.endsWith('.spec.ts')).sort();

/** The module specifiers `file` loads at run time: static imports and re-exports, bare imports, import(); not `import type`. */
function loads(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?(['"])([^'"]+)\2/gm)) if (m[1] === undefined) found.push(m[3]!);
  for (const m of text.matchAll(/\bimport\(\s*(['"])([^'"]+)\1\s*\)/g)) found.push(m[2]!);
  return found;
}

/** The chain (`a.ts → b.ts → node:net`) by which `file` reaches a forbidden module or program, if it does. */
function forbiddenChain(file: string, seen = new Set<string>()): string[] | undefined {
  if (PROGRAMS.has(file)) return [file];
  if (seen.has(file)) return undefined;
  seen.add(file);
  for (const specifier of loads(file)) {
    if (!specifier.startsWith('.')) {
      const name = specifier.replace(/^node:/, '').split('/')[0]!;
      if (FORBIDDEN_MODULES.has(name)) return [file, specifier];
      continue;
    }
    const target = toRelative(path.resolve(ROOT, path.dirname(file), specifier.replace(/\.js$/, '.ts')));
    if (!target.startsWith('spec/')) continue; // lib/, samples/: see FORBIDDEN_MODULES
    const chain = forbiddenChain(target, seen);
    if (chain !== undefined) return [file, ...chain];
  }
  return undefined;
}

describe('spec tiers', () => {
  it('finds the spec files of every tier', () => {
    const count = (tier: string | undefined) => specFiles.filter((f) => TIER_NAME.exec(path.basename(f))?.[1] === tier).length;
    assert.ok(count(undefined) > 50 && count('int') > 20 && count('slow') > 10, `${count(undefined)} unit, ${count('int')} integration, ${count('slow')} slow`);
  });

  it('names every spec file name.spec.ts, name.int.spec.ts or name.slow.spec.ts', () => {
    const wrong = specFiles.filter((file) => !TIER_NAME.test(path.basename(file)));
    assert.deepEqual(wrong, [], 'a dot before spec.ts names the tier (int or slow) and nothing else: name aspects with hyphens');
  });

  it('has no test file that the scripts would not run (*.test.ts, *.spec.js, *.spec.mts…)', () => {
    const stray = walk(SPEC).map(toRelative).filter((file) => /\.(spec|test)\.[cm]?[jt]s$/.test(file) && !file.endsWith('.spec.ts'));
    assert.deepEqual(stray, []);
  });

  it('lets no unit spec import a module that opens sockets or starts processes, directly or through spec/ files', () => {
    for (const program of PROGRAMS) assert.ok(existsSync(path.join(ROOT, program)), `${program} is listed in PROGRAMS`);
    const wrong = specFiles
      .filter((file) => TIER_NAME.exec(path.basename(file))?.[1] === undefined)
      .flatMap((file) => {
        const chain = forbiddenChain(file);
        return chain === undefined ? [] : [`${chain.join(' → ')}: rename it ${file.replace(/\.spec\.ts$/, '')}.int.spec.ts or .slow.spec.ts`];
      });
    assert.deepEqual(wrong, []);
  });

  it('reads the imports it checks (a spec/support file that opens sockets is caught)', () => {
    assert.deepEqual(forbiddenChain('spec/support/services.ts'), ['spec/support/services.ts', 'node:net']);
    assert.deepEqual(forbiddenChain('spec/support/cli-fixtures.ts'), ['spec/support/cli-fixtures.ts', 'spec/support/amqp-harness.ts', 'node:child_process']);
    assert.equal(forbiddenChain('spec/support/loggers.ts'), undefined);
  });

  it('has package.json pick each tier by its name, test:unit under the guard, and npm test run the three', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(scripts['test:unit']!, /--import \.\/spec\/support\/unit-guard\.ts .*\$\(find spec -name '\*\.spec\.ts' ! -name '\*\.int\.spec\.ts' ! -name '\*\.slow\.spec\.ts' \| sort\)$/);
    assert.match(scripts['test:integration']!, /--test-concurrency=1 .*\$\(find spec -name '\*\.int\.spec\.ts' \| sort\)$/);
    assert.match(scripts['test:slow']!, /--test-concurrency=1 .*\$\(find spec -name '\*\.slow\.spec\.ts' \| sort\)$/);
    // All three run, whichever fails, so one run shows every failure; the exit status is non-zero if any failed.
    assert.equal(scripts['test'], 'npm run test:unit; unit=$?; npm run test:integration; integration=$?; npm run test:slow && [ $unit -eq 0 ] && [ $integration -eq 0 ]');
  });
});
