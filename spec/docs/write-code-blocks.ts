// writeCodeBlocks(): each document's blocks into a folder of their own (so one block imports another by
// relative path, as DOCS-CONVENTION.md allows), remembering which file holds which block.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DocProblem } from './doc-problem.ts';
import { toBlockFolder, type CodeBlock } from './extract-code-blocks.ts';

/** A block and the absolute path it was written to. */
export interface WrittenBlock {
  readonly block: CodeBlock;
  readonly file: string;
  /** The block's folder (its document's), the cwd a runnable block runs in. */
  readonly folder: string;
}

/** Writes `blocks` under `dir`/<document folder>/<file name>; two blocks of one document on one name are a problem. */
export function writeCodeBlocks(blocks: readonly CodeBlock[], dir: string): { written: WrittenBlock[]; problems: DocProblem[] } {
  const written: WrittenBlock[] = [];
  const problems: DocProblem[] = [];
  const taken = new Map<string, CodeBlock>();
  for (const block of blocks) {
    const folder = path.join(dir, toBlockFolder(block.document));
    const file = path.join(folder, block.fileName);
    const earlier = taken.get(file);
    if (earlier !== undefined) {
      problems.push({ document: block.document, line: block.line, message: `a second block named ${block.fileName} (the first is at line ${earlier.line}); give each block its own file name` });
      continue;
    }
    taken.set(file, block);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, block.code);
    written.push({ block, file, folder });
  }
  return { written, problems };
}
