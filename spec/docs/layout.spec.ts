// The folder listings of the docs against lib/'s tree: every folder of lib/ that holds a .ts file has a row in
// ARCHITECTURE.md's Rooms table and a line in README.md's Layout, and every row or line names such a folder.
// Both sides are read at run time: moving a room fails this spec until the listings follow.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The documents and their `## ` sections that list lib/'s folders. */
const LISTINGS = [
  ['ARCHITECTURE.md', 'Rooms'],
  ['README.md', 'Layout'],
] as const;

/** The lines of the `## {heading}` section of `markdown`, up to the next `## ` heading; empty when there is none. */
function sectionOf(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The folders a section lists: the first cell of a table row, or the start of a list item, written `` `x/` ``. */
function listedFolders(section: readonly string[]): string[] {
  return section.flatMap((line) => {
    const m = /^(?:\|\s*|[-*]\s+)`([^`]+)\/`/.exec(line.trim());
    return m === null ? [] : [m[1]!];
  });
}

/** The folders under `lib` (relative, `/`-separated) that hold a .ts file themselves; lib's top is not one. */
function codeFolders(lib: string, dir = ''): string[] {
  const entries = readdirSync(path.join(lib, dir), { withFileTypes: true });
  const here = dir !== '' && entries.some((e) => e.isFile() && e.name.endsWith('.ts')) ? [dir] : [];
  const below = entries.filter((e) => e.isDirectory()).flatMap((e) => codeFolders(lib, dir === '' ? e.name : `${dir}/${e.name}`));
  return [...here, ...below].sort();
}

/** Each folder missing from the listing, and each listed folder that holds no .ts file. */
function layoutProblems(listed: readonly string[], folders: readonly string[], where: string): string[] {
  return [
    ...folders.filter((f) => !listed.includes(f)).map((f) => `lib/${f}/ holds .ts files but ${where} does not list it`),
    ...listed.filter((f) => !folders.includes(f)).map((f) => `${where} lists \`${f}/\`, but lib/${f}/ holds no .ts file`),
  ];
}

describe("the docs' listings of lib/'s folders", () => {
  for (const [document, section] of LISTINGS) {
    it(`${document}'s ${section} lists every folder of lib/ that holds a .ts file, and no other`, () => {
      const listed = listedFolders(sectionOf(readFileSync(path.join(ROOT, document), 'utf8'), section));
      const folders = codeFolders(path.join(ROOT, 'lib'));
      assert.ok(listed.length >= 10 && folders.length >= 10, `read ${listed.length} listed and ${folders.length} folders`);
      assert.deepEqual(layoutProblems(listed, folders, `${document}'s ${section}`), []);
    });
  }

  it('names a folder that is missing from the listing, and one listed but gone', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'layout-spec-'));
    try {
      for (const [file, text] of [['kept/a.ts', ''], ['new/deep/b.ts', ''], ['docs-only/readme.md', '']] as const) {
        mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        writeFileSync(path.join(root, file), text);
      }
      writeFileSync(path.join(root, 'top.ts'), '');
      const markdown = ['# Doc', '## Rooms', '| room | holds |', '| --- | --- |', '| `kept/` | a |', '| `gone/` | b |', 'see `new/`', '## Next', '- `new/deep/` elsewhere'].join('\n');
      const listed = listedFolders(sectionOf(markdown, 'Rooms'));
      assert.deepEqual(listed, ['kept', 'gone']);
      assert.deepEqual(codeFolders(root), ['kept', 'new/deep']);
      assert.deepEqual(layoutProblems(listed, codeFolders(root), 'the Rooms'), [
        'lib/new/deep/ holds .ts files but the Rooms does not list it',
        'the Rooms lists `gone/`, but lib/gone/ holds no .ts file',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
