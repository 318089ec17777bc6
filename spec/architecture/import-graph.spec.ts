// The import graph of lib/, read from the source: rooms (folders) import only in the directions that
// ARCHITECTURE.md allows, no two rooms import each other, and no two files import each other (around a loop).
// The public entry files (the package's subpaths, read from package.json's exports) may import any room; no
// room imports them.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const LIB = fileURLToPath(new URL('../../lib/', import.meta.url));

/** Which rooms each room may import (besides itself). Keep in step with ARCHITECTURE.md. */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  logging: ['core'],
  middleware: ['core'],
  'transports/memory': ['core', 'middleware'],
  process: [],
  'transports/amqp': ['core', 'process'],
  outbox: ['core'],
  'control/redis': ['core'],
  serverless: ['core', 'middleware', 'transports/memory'],
  worker: ['core', 'middleware', 'transports/amqp', 'outbox', 'control/redis', 'process'],
  'scheduler-client': ['core', 'transports/amqp', 'control/redis'],
  external: ['core', 'outbox', 'transports/amqp', 'process'],
  'host/config': ['core', 'control/redis', 'transports/amqp'],
  'host/health': ['core', 'middleware', 'worker', 'outbox', 'control/redis', 'host/config', 'process'],
  host: ['core', 'worker', 'host/config', 'host/health'],
  'host/cli': ['core', 'worker', 'scheduler-client', 'transports/amqp', 'host', 'host/config', 'host/health'],
  bullmq: ['core', 'external'],
};
/** core/'s own layers: what each of its sub-rooms may import inside core (the rest of lib/ sees core as one room). */
const CORE_LAYERS: Readonly<Record<string, readonly string[]>> = {
  'core/util': [],
  'core/vocabulary': [],
  'core/engine': ['core/vocabulary', 'core/util'],
};
/** Files at lib/'s top that rooms may import: the user-facing helpers, which depend on core (and logging) only. */
const SHARED_TOP = new Set(['define-job.ts', 'define-setup.ts', 'create-logger.ts']);
/** package.json's exports: a subpath → its target, or its conditions (`import`, `default`, `types`) → targets. */
const EXPORTS = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, string | Record<string, string>> }).exports;
/** The public entry points, the source of each `./dist/x.js` that package.json exports: they re-export rooms; nothing inside lib/ imports them. */
const ENTRIES = new Set(Object.values(EXPORTS).flatMap(entryFile));

/** `./dist/x.js` (a subpath's `import` target) → `x.ts`; nothing for a target outside dist/ (`./package.json`). */
function entryFile(target: string | Record<string, string>): string[] {
  const m = /^\.\/dist\/(.+)\.js$/.exec(typeof target === 'string' ? target : (target.import ?? target.default ?? ''));
  return m === null ? [] : [`${m[1]!}.ts`];
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : /\.(ts|mjs)$/.test(e.name) ? [path.join(dir, e.name)] : []));
}

/** The room of a file: its folder under lib/ ('' for the top), matched to the longest known room. */
function roomOf(file: string): string {
  const dir = path.relative(LIB, path.dirname(file)).split(path.sep).join('/');
  if (dir === '') return '';
  const known = Object.keys(ALLOWED).filter((room) => dir === room || dir.startsWith(`${room}/`)).sort((a, b) => b.length - a.length);
  return known[0] ?? dir;
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly fromRoom: string;
  readonly toRoom: string;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of files(LIB)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts'));
      if (!target.startsWith(LIB)) continue; // template text of init (a scaffold's own imports)
      const from = path.relative(LIB, file).split(path.sep).join('/');
      if (ENTRIES.has(from)) continue; // a public entry point re-exports whatever it offers
      out.push({ from, to: path.relative(LIB, target).split(path.sep).join('/'), fromRoom: roomOf(file), toRoom: roomOf(target) });
    }
  }
  return out;
}

/**
 * One cycle for each group of files that import each other around a loop (a strongly connected component, by
 * Tarjan's algorithm), written `a.ts → b.ts → a.ts`: the shortest way back to the group's first file, with the
 * whole group named when it holds more files than that loop.
 */
function fileCycles(edges: readonly Edge[]): string[] {
  const graph = new Map<string, string[]>();
  for (const e of edges) (graph.get(e.from) ?? graph.set(e.from, []).get(e.from)!).push(e.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const groups: string[][] = [];
  const connect = (file: string) => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (stack.includes(next)) low.set(file, Math.min(low.get(file)!, index.get(next)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const group = stack.splice(stack.indexOf(file));
    if (group.length > 1 || (graph.get(file) ?? []).includes(file)) groups.push(group.sort());
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) connect(file);
  return groups.map((group) => {
    const loop = shortestLoop(group[0]!, new Set(group), graph);
    return loop.length - 1 < group.length ? `${loop.join(' → ')} (one loop among ${group.join(', ')})` : loop.join(' → ');
  });
}

/** The shortest path from `start` back to itself inside its group, breadth first. */
function shortestLoop(start: string, group: ReadonlySet<string>, graph: ReadonlyMap<string, readonly string[]>): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const next of graph.get(file) ?? []) {
      if (!group.has(next)) continue;
      if (next === start) {
        const path = [file];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
        return [...path, start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, file);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

describe('the import graph of lib/', () => {
  const all = edges();

  it('reads an entry file in lib/ for every subpath of package.json but ./package.json', () => {
    assert.equal(ENTRIES.size, Object.keys(EXPORTS).length - 1, [...ENTRIES].join(', '));
    assert.ok(ENTRIES.has('middleware/tracing.ts') && ENTRIES.has('index.ts'), [...ENTRIES].join(', '));
    assert.deepEqual([...ENTRIES].filter((file) => !existsSync(path.join(LIB, file))), []);
  });

  it('reads a graph of the expected size', () => {
    assert.ok(all.length > 200, `${all.length} relative imports`);
  });

  it('imports between rooms only in the allowed directions', () => {
    const wrong = all
      .filter((e) => e.fromRoom !== '' && e.fromRoom !== e.toRoom)
      .filter((e) => !(e.toRoom === '' && SHARED_TOP.has(e.to)))
      .filter((e) => !(ALLOWED[e.fromRoom] ?? []).includes(e.toRoom))
      .map((e) => `${e.from} → ${e.to} (${e.fromRoom} may import ${(ALLOWED[e.fromRoom] ?? []).join(', ') || 'no other room'})`);
    assert.deepEqual(wrong, []);
  });

  it("keeps core's layers: util and vocabulary import nothing outside themselves, engine imports those two", () => {
    const layerOf = (file: string) => Object.keys(CORE_LAYERS).find((layer) => file.startsWith(`${layer}/`));
    const inCore = all.filter((e) => e.fromRoom === 'core' && e.toRoom === 'core');
    assert.ok(inCore.length > 30, `${inCore.length} imports inside core`);
    const unplaced = [...new Set(inCore.flatMap((e) => [e.from, e.to]))].filter((file) => layerOf(file) === undefined);
    assert.deepEqual(unplaced, [], 'every file of core/ sits in one of its layers');
    const wrong = inCore
      .filter((e) => layerOf(e.from) !== layerOf(e.to) && !CORE_LAYERS[layerOf(e.from)!]!.includes(layerOf(e.to)!))
      .map((e) => `${e.from} → ${e.to} (${layerOf(e.from)} may import ${CORE_LAYERS[layerOf(e.from)!]!.join(', ') || 'nothing outside itself'})`);
    assert.deepEqual(wrong, []);
  });

  it('has a room for every folder, and no import of a public entry point from inside lib/', () => {
    const unknown = [...new Set(all.map((e) => e.fromRoom))].filter((room) => room !== '' && !(room in ALLOWED));
    assert.deepEqual(unknown, [], 'a new folder needs its place in ALLOWED and in ARCHITECTURE.md');
    assert.deepEqual(all.filter((e) => ENTRIES.has(e.to)).map((e) => `${e.from} → ${e.to}`), []);
  });

  it('the user-facing helpers at the top import core (create-logger.ts also logging) only', () => {
    const wrong = all.filter((e) => e.fromRoom === '' && SHARED_TOP.has(e.from) && e.toRoom !== 'core' && !(e.from === 'create-logger.ts' && e.toRoom === 'logging') && !SHARED_TOP.has(e.to));
    assert.deepEqual(wrong.map((e) => `${e.from} → ${e.to}`), []);
  });

  it('has no cycle between rooms', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of all) if (e.fromRoom !== e.toRoom && e.fromRoom !== '' && e.toRoom !== '') (graph.get(e.fromRoom) ?? graph.set(e.fromRoom, new Set()).get(e.fromRoom)!).add(e.toRoom);
    const cycles: string[] = [];
    const visit = (room: string, trail: string[]) => {
      if (trail.includes(room)) return void cycles.push([...trail.slice(trail.indexOf(room)), room].join(' → '));
      for (const next of graph.get(room) ?? []) visit(next, [...trail, room]);
    };
    for (const room of graph.keys()) visit(room, []);
    assert.deepEqual(cycles, []);
  });

  it('has no cycle between files (type-only imports included: a reader still goes round)', () => {
    const cycles = fileCycles(all);
    assert.deepEqual(cycles, [], `import cycles between files of lib/ (break each by moving what both need to one side):\n  ${cycles.join('\n  ')}`);
  });

  it('imports the bullmq package (an optional peer) for its types only', () => {
    const valueImports = files(LIB).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^import\s+(?!type\s)[^;]*from\s+'(bullmq|ioredis)'/gm)].map(() => path.relative(LIB, file)),
    );
    assert.deepEqual(valueImports, []);
  });

  it('keeps rabbitmq-client, lmdb and redis out of core, middleware and the outbox', () => {
    for (const file of files(LIB)) {
      const room = roomOf(file);
      if (!['core', 'middleware', 'outbox'].includes(room)) continue;
      const text = readFileSync(file, 'utf8');
      const adapters = room === 'outbox' ? /from '(rabbitmq-client|redis)'/ : /from '(rabbitmq-client|lmdb|redis)'/;
      assert.doesNotMatch(text, adapters, path.relative(LIB, file));
    }
  });
});
