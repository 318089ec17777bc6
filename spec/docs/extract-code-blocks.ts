// extractCodeBlocks(): the TypeScript blocks of one markdown document, each with the markdown line of its first
// code line, whether it is marked runnable, and the file it is written to (named by its first-line comment,
// `// jobs/send-email-job.ts: explanation`, else `block-<line>.ts`). The docs convention is DOCS-CONVENTION.md.

/** A ```ts block of a markdown document. */
export interface CodeBlock {
  /** The document, as reported (e.g. `docs/jobs.md`). */
  readonly document: string;
  /** The markdown line (1-based) of the block's first code line. */
  readonly line: number;
  /** The file the block is written to, relative to its document's folder. */
  readonly fileName: string;
  /** Whether the info string says `runnable`: the block is also run. */
  readonly runnable: boolean;
  readonly code: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)\s*(.*)$/;
const TS_LANGUAGES = new Set(['ts', 'typescript']);
// `// quick-start.mts`, `// jobs/send-email-job.ts: why`; a plain comment names no file.
const FILE_COMMENT = /^\/\/\s*((?:[\w.-]+\/)*[\w.-]+\.(?:ts|mts|cts))\s*(?::.*)?$/;

/** Extracts the ```ts and ```typescript blocks (optionally `runnable`) of `markdown`, reported as `document`. */
export function extractCodeBlocks(markdown: string, document: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (open === null) continue;
    const [, indent, fence, language, rest] = open as unknown as [string, string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    // A fence closes with the same character, at least as long, and nothing after it.
    for (; j < lines.length; j++) {
      const close = lines[j]!.trim();
      if (close.startsWith(fence) && /^(`+|~+)$/.test(close) && close[0] === fence[0]) break;
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!);
    }
    if (TS_LANGUAGES.has(language.toLowerCase())) {
      const named = FILE_COMMENT.exec(body[0]?.trim() ?? '');
      const line = i + 2;
      blocks.push({
        document,
        line,
        fileName: named?.[1] ?? `block-${line}.ts`,
        runnable: rest.split(/\s+/).includes('runnable'),
        code: body.join('\n') + '\n',
      });
    }
    i = j;
  }
  return blocks;
}

/** The folder name a document's blocks are written to: its path with `/` and `.md` turned into `-` and nothing. */
export function toBlockFolder(document: string): string {
  return document.replace(/\.md$/i, '').replace(/[^\w.-]+/g, '-');
}
