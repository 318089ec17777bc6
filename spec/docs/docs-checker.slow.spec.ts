// The docs checks themselves, on a deliberately broken document written here: a block with a type error, a
// runnable block that fails, a broken link and a link into a path the package does not ship are each reported
// with the document and the line; what is right is not reported.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkLinks } from './check-links.ts';
import { toProblemText } from './doc-problem.ts';
import { extractCodeBlocks } from './extract-code-blocks.ts';
import { runCodeBlocks } from './run-code-blocks.ts';
import { typeCheckCodeBlocks } from './type-check-code-blocks.ts';
import { writeCodeBlocks, type WrittenBlock } from './write-code-blocks.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REPO = 'https://github.com/o/r/';

const BROKEN = [
  '# Sample guide', //                                                         1
  '', //                                                                      2
  'A [broken link](missing.md), [a fine one](#sample-guide) and [a bad anchor](#nowhere).', // 3
  'The [samples](../samples/demo/main.ts) are not shipped; [by URL](https://github.com/o/r/tree/main/samples/demo) they are.', // 4
  '', //                                                                      5
  '```ts', //                                                                 6
  '// lib/greet.ts: a sibling the next block imports', //                    7
  'export const greet = (name: string): string => `hi ${name}`;', //          8
  '```', //                                                                   9
  '', //                                                                      10
  '```typescript', //                                                         11
  "import { greet } from './lib/greet.js';", //                              12
  'const n: string = greet(1);', //                                          13
  '```', //                                                                   14
  '', //                                                                      15
  '```ts runnable', //                                                        16
  '// fails.mts', //                                                          17
  "throw new Error('boom at run time');", //                                 18
  '```', //                                                                   19
  '', //                                                                      20
  '```ts runnable', //                                                        21
  '// passes.mts', //                                                         22
  "import { greet } from './lib/greet.js';", //                              23
  "console.log(greet('ada'));", //                                           24
  '```', //                                                                   25
  '', //                                                                      26
  '```json', //                                                               27
  '{ "not": typescript }', //                                                28
  '```', //                                                                   29
  '', //                                                                      30
].join('\n');

describe('the docs checks, on a broken document', { timeout: 300_000 }, () => {
  let root: string;
  let written: WrittenBlock[];
  const blocks = extractCodeBlocks(BROKEN, 'docs/sample.md');

  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'milvaion-docs-checker-'));
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'sample', type: 'module' }));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    mkdirSync(path.join(root, 'docs'));
    writeFileSync(path.join(root, 'docs/sample.md'), BROKEN);
    mkdirSync(path.join(root, 'samples/demo'), { recursive: true });
    writeFileSync(path.join(root, 'samples/demo/main.ts'), '');
    written = writeCodeBlocks(blocks, path.join(root, 'blocks')).written;
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('extracts the ts and typescript blocks with their first code line, file name and runnable mark', () => {
    assert.deepEqual(blocks.map((b) => [b.line, b.fileName, b.runnable]), [
      [7, 'lib/greet.ts', false],
      [12, 'block-12.ts', false],
      [17, 'fails.mts', true],
      [22, 'passes.mts', true],
    ]);
  });

  it('reports a type error at its markdown line, and nothing for the block it imports', () => {
    const problems = typeCheckCodeBlocks(written).map(toProblemText);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /^docs\/sample\.md:13: TS2345: Argument of type 'number' is not assignable to parameter of type 'string'/);
  });

  it('reports a runnable block that exits non-zero, with its output, and passes one that exits 0', async () => {
    const problems = (await runCodeBlocks(written, { timeoutMs: 60_000 })).map(toProblemText);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /^docs\/sample\.md:17: runnable block fails\.mts exited with 1; its output: .*boom at run time/s);
  });

  it('reports a missing file, a missing anchor and an unshipped path, each at its line', () => {
    const problems = checkLinks([{ document: 'docs/sample.md', markdown: BROKEN }], { root, files: ['docs'], repositoryUrl: REPO }).map(toProblemText);
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems[0]!, /^docs\/sample\.md:3: docs\/missing\.md does not exist/);
    assert.match(problems[1]!, /^docs\/sample\.md:3: docs\/sample\.md has no heading #nowhere/);
    assert.match(problems[2]!, /^docs\/sample\.md:4: samples\/demo\/main\.ts is not in the npm package .*https:\/\/github\.com\/o\/r\/blob\/main\/samples\/demo\/main\.ts/);
  });

  it('reports a repository URL naming a path the repository does not have', () => {
    const problems = checkLinks([{ document: 'docs/sample.md', markdown: '[gone](https://github.com/o/r/tree/main/samples/gone)' }], { root, files: ['docs'], repositoryUrl: REPO });
    assert.deepEqual(problems.map(toProblemText), ['docs/sample.md:1: the repository has no samples/gone (link https://github.com/o/r/tree/main/samples/gone)']);
  });
});
