// Docs as code: every ```ts block of README.md and docs/*.md is type-checked, in one TypeScript program with a
// user's options (strict, module nodenext), against a copy of this checkout built as the package (imports of
// `milvaion-worker`, `/amqp`, `/testing`… resolve to its compiled declarations by self-reference); the blocks
// marked `runnable` are run with tsx, each as its own process in its document's folder. Problems are reported
// as `docs/x.md:LINE: message`.
//
// Why a small extractor plus the TypeScript compiler API, and not typescript-docs-verifier (npm): that tool
// compiles each snippet on its own (a program per block: minutes for ~50 blocks on this machine, and blocks
// cannot import each other, which DOCS-CONVENTION.md allows by file name), rewrites imports of the package to
// its `main` file (so subpath exports such as `milvaion-worker/testing` are not resolved as a user's project
// resolves them), and runs nothing. One program over files placed in a self-referencing package copy checks
// exactly what a user compiles, in one pass of a few seconds, with the typescript devDependency already here.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVhost, deleteVhost, AMQP_URL } from '../support/amqp-harness.ts';
import { needs } from '../support/services.ts';
import { buildPackageCopy, type PackageCopy } from './build-package-copy.ts';
import { toProblemText } from './doc-problem.ts';
import { extractCodeBlocks } from './extract-code-blocks.ts';
import { readDocuments } from './read-documents.ts';
import { runCodeBlocks } from './run-code-blocks.ts';
import { typeCheckCodeBlocks } from './type-check-code-blocks.ts';
import { writeCodeBlocks, type WrittenBlock } from './write-code-blocks.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN_TIMEOUT_MS = 60_000;
// A block that talks to the broker reads its URL from AMQP_URL (the spec gives it a vhost of its own); such a
// block may also use Redis on 127.0.0.1:6379 (cancellation), so it runs when both answer.
const usesBroker = (w: WrittenBlock) => w.block.code.includes('AMQP_URL');

describe('the TypeScript blocks of README.md and docs/', { timeout: 900_000 }, () => {
  const blocks = readDocuments(ROOT).flatMap(({ document, markdown }) => extractCodeBlocks(markdown, document));
  let copy: PackageCopy;
  let written: WrittenBlock[];

  before(() => {
    copy = buildPackageCopy();
    const result = writeCodeBlocks(blocks, path.join(copy.root, 'docs-blocks'));
    assert.deepEqual(result.problems.map(toProblemText), []);
    written = result.written;
  });
  after(() => copy?.remove());

  it('are found: the README Quick start is one, runnable', () => {
    const quickStart = blocks.find((b) => b.document === 'README.md' && b.fileName === 'quick-start.mts');
    assert.ok(quickStart, 'README.md has a block named quick-start.mts');
    assert.equal(quickStart.runnable, true);
    assert.ok(blocks.length > 10, `${blocks.length} blocks`);
  });

  it('type-check against the built package', () => {
    assert.deepEqual(typeCheckCodeBlocks(written).map(toProblemText), []);
  });

  it('marked runnable and on the embedded transport exit 0', async () => {
    const local = written.filter((w) => w.block.runnable && !usesBroker(w));
    assert.ok(local.length > 0);
    assert.deepEqual((await runCodeBlocks(local, { timeoutMs: RUN_TIMEOUT_MS })).map(toProblemText), []);
  });

  it('marked runnable and against the broker exit 0 (AMQP_URL is a vhost of their own on 127.0.0.1)', needs('rabbitmq', 'redis'), async () => {
    const remote = written.filter((w) => w.block.runnable && usesBroker(w));
    const vhost = createVhost(`spec-docs-${process.pid}`);
    try {
      const problems = await runCodeBlocks(remote, { timeoutMs: RUN_TIMEOUT_MS, env: { AMQP_URL: `${AMQP_URL}/${vhost}` } });
      assert.deepEqual(problems.map(toProblemText), []);
    } finally {
      deleteVhost(vhost);
    }
  });
});
