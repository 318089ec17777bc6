// readDocuments(): README.md and every docs/*.md of a checkout, the documents the docs checks read.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A markdown document: its path relative to the checkout and its text. */
export interface MarkdownDocument {
  readonly document: string;
  readonly markdown: string;
}

/** Reads README.md and docs/*.md (sorted) under `root`. */
export function readDocuments(root: string): MarkdownDocument[] {
  const docs = existsSync(path.join(root, 'docs')) ? readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`) : [];
  return ['README.md', ...docs].map((document) => ({ document, markdown: readFileSync(path.join(root, document), 'utf8') }));
}
