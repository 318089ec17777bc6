// toLoadProblem(): what `check` and `run` print for a job module that failed to load, from the errors Node and
// tsx throw (their shapes copied from Node 20.20 and tsx 4.23).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toLoadProblem } from '../../../lib/host/cli/to-load-problem.ts';

const CWD = '/home/ada/app';

function withStack<T extends Error>(error: T, stack: string): T {
  error.stack = stack;
  return error;
}

describe('toLoadProblem', () => {
  it("names each of esbuild's compile errors by file:line:column (from 1; esbuild counts columns from 0), relative to the working folder", () => {
    const error = new Error('Transform failed with 2 errors:\n/home/ada/app/jobs/a.ts:3:82: ERROR: Expected "}" but found ";"\n/home/ada/app/jobs/a.ts:9:1: ERROR: Unexpected end of file');
    assert.equal(toLoadProblem(error, '/home/ada/app/jobs/a.ts', CWD), 'jobs/a.ts:3:83: Expected "}" but found ";"\n    jobs/a.ts:9:2: Unexpected end of file');
  });

  it('names a .mts or .cts file by its own name, not the .ts name tsx compiles it under', () => {
    const error = new Error('Transform failed with 1 error:\n/home/ada/app/jobs/a.ts:2:5: ERROR: Unexpected "="');
    assert.equal(toLoadProblem(error, '/home/ada/app/jobs/a.mts', CWD), 'jobs/a.mts:2:6: Unexpected "="');
    assert.equal(toLoadProblem(error, '/home/ada/app/jobs/a.cts', CWD), 'jobs/a.cts:2:6: Unexpected "="');
    assert.equal(toLoadProblem(error, '/home/ada/app/jobs/b.mts', CWD), 'jobs/a.ts:2:6: Unexpected "="', 'an error in another file keeps its name');
  });

  it('explains top-level await in a CommonJS TypeScript file', () => {
    const error = new Error('Transform failed with 1 error:\n/home/ada/app/jobs/a.ts:1:10: ERROR: Top-level await is currently not supported with the "cjs" output format');
    assert.match(toLoadProblem(error, '/home/ada/app/jobs/a.ts', CWD), /^jobs\/a\.ts:1:11: Top-level await .* use the \.mts extension, or set "type": "module" in package\.json\)$/);
  });

  it("places a CommonJS SyntaxError by the line and caret Node puts first in its stack", () => {
    const error = withStack(new SyntaxError("Unexpected token ';'"), "/home/ada/app/jobs/b.cjs:3\nconst y = { a: 1 ;\n                 ^\n\nSyntaxError: Unexpected token ';'\n    at wrapSafe (node:internal/modules/cjs/loader:1464:18)");
    assert.equal(toLoadProblem(error, '/home/ada/app/jobs/b.cjs', CWD), "jobs/b.cjs:3:18: SyntaxError: Unexpected token ';'");
  });

  it('says how to find the line of an ES-module SyntaxError that Node gives no place for', () => {
    const error = withStack(new SyntaxError("Unexpected token ';'"), "SyntaxError: Unexpected token ';'\n    at compileSourceTextModule (node:internal/modules/esm/utils:346:16)");
    assert.equal(toLoadProblem(error, '/home/ada/app/jobs/c.mjs', CWD), "jobs/c.mjs: SyntaxError: Unexpected token ';' (node --check jobs/c.mjs shows the line)");
  });

  it('explains ES-module syntax in a CommonJS .js file', () => {
    const error = withStack(new SyntaxError('Cannot use import statement outside a module'), '/home/ada/app/jobs/d.js:1\nimport { x } from "y";\n^^^^^^\n\nSyntaxError: Cannot use import statement outside a module');
    assert.match(toLoadProblem(error, '/home/ada/app/jobs/d.js', CWD), /^jobs\/d\.js:1:1: SyntaxError: Cannot use import statement outside a module \(package\.json makes this file CommonJS: use the \.mjs extension/);
  });

  it("shows an error thrown at import with the user's frames only, without tsx's query", () => {
    const error = withStack(
      new Error('DATABASE_URL is not set'),
      [
        'Error: DATABASE_URL is not set',
        '    at connect (/home/ada/app/jobs/e.ts?namespace=milvaion-worker:3:9)',
        '    at file:///home/ada/app/jobs/f.mjs:5:1',
        '    at Object.<anonymous> (/home/ada/app/node_modules/pg/lib/index.js:1:1)',
        '    at Module._compile (node:internal/modules/cjs/loader:1521:14)',
        '    at async ModuleLoader.import (node:internal/modules/esm/loader:606:24)',
      ].join('\n'),
    );
    assert.equal(toLoadProblem(error, '/home/ada/app/jobs/e.ts', CWD), 'jobs/e.ts: threw while loading: Error: DATABASE_URL is not set\n      at connect (jobs/e.ts:3:9)\n      at jobs/f.mjs:5:1');
  });

  it("turns Node's require(esm) cycle error into what to change", () => {
    const error = Object.assign(new Error('Cannot require() ES Module /home/ada/app/jobs/g.js in a cycle. A cycle involving require(esm) is not allowed'), { code: 'ERR_REQUIRE_CYCLE_MODULE' });
    const text = toLoadProblem(error, '/home/ada/app/jobs/g.js', CWD);
    assert.match(text, /^jobs\/g\.js: Node could not load it: it has ES module syntax .* \.mjs extension, or set "type": "module"/);
    assert.doesNotMatch(text, /cycle|require\(esm\)/);
  });

  it('shows something thrown that is not an Error as text', () => {
    assert.equal(toLoadProblem('nope', '/elsewhere/h.js', CWD), '/elsewhere/h.js: threw while loading: nope');
  });
});
