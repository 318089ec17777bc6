// The links of README.md and docs/*.md: relative ones reach a file the npm package ships (with the #anchor a
// heading there has), repository URLs name a path of the checkout; and the README stays a short front page
// that links every guide.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkLinks } from './check-links.ts';
import { toProblemText } from './doc-problem.ts';
import { readDocuments } from './read-documents.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[]; repository: { url: string } };
/** `git+https://github.com/o/r.git` → `https://github.com/o/r/` */
const REPOSITORY_URL = `${manifest.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')}/`;

describe('the links of README.md and docs/', () => {
  const documents = readDocuments(ROOT);

  it('reach files the package ships, headings that exist, and repository paths that exist', () => {
    assert.deepEqual(checkLinks(documents, { root: ROOT, files: manifest.files, repositoryUrl: REPOSITORY_URL }).map(toProblemText), []);
  });

  it('README.md is under 15 KB and links every guide in docs/', () => {
    assert.ok(statSync(path.join(ROOT, 'README.md')).size < 15 * 1024, 'README.md is under 15 KB');
    const readme = documents.find((d) => d.document === 'README.md')!.markdown;
    const guides = documents.filter((d) => d.document.startsWith('docs/')).map((d) => d.document);
    assert.ok(guides.length >= 14, `${guides.length} guides`);
    assert.deepEqual(guides.filter((g) => !readme.includes(`](${g})`) && !readme.includes(`](${g}#`)), [], 'guides the README does not link');
  });
});
