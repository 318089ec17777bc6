// Every "protocol §x.y" that a comment in lib/ cites resolves in docs/protocol.md: a heading numbered x.y there
// (`#### 2.2 Status updates`), every section of a range (`§1.1–§1.3`), and for `§8 rule n` an item n of section
// 8's numbered list.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROTOCOL = 'docs/protocol.md';

/** One citation: the section (`2.2`, `7a`, `8`), the rule of a numbered list when one is named, and where it stands. */
interface Citation {
  readonly section: string;
  readonly rule?: number | undefined;
  readonly where: string;
}

/** The citations in `text`; a range `§a.b–§a.c` stands for each section from b to c. */
function citationsIn(text: string, where: string): Citation[] {
  const out: Citation[] = [];
  for (const m of text.matchAll(/§(\d+)(?:\.(\d+))?([a-z])?(?:\s*[–-]\s*§(\d+)\.(\d+))?(?:\s+rule\s+(\d+))?/g)) {
    const [, major, minor, letter, toMajor, toMinor, rule] = m;
    if (toMajor !== undefined && minor !== undefined && toMajor === major) {
      for (let n = Number(minor); n <= Number(toMinor); n++) out.push({ section: `${major}.${n}`, where });
      continue;
    }
    if (toMajor !== undefined) out.push({ section: `${toMajor}.${toMinor!}`, where });
    out.push({ section: `${major!}${minor === undefined ? '' : `.${minor}`}${letter ?? ''}`, rule: rule === undefined ? undefined : Number(rule), where });
  }
  return out;
}

/** The numbered sections of a markdown document, each with the lines up to the next numbered heading. */
function sectionsOf(markdown: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of markdown.split('\n')) {
    const heading = /^#{2,6}\s+(\d+(?:\.\d+)?[a-z]?)\s/.exec(line);
    if (heading !== null) sections.set(heading[1]!, (current = []));
    else if (/^#{1,6}\s/.test(line)) current = undefined;
    else current?.push(line);
  }
  return sections;
}

/** What `citations` name that `markdown` lacks: a section with no heading, or a rule its list has no item for. */
function unresolved(citations: readonly Citation[], markdown: string): string[] {
  const sections = sectionsOf(markdown);
  return citations.flatMap((c) => {
    const lines = sections.get(c.section);
    if (lines === undefined) return [`${c.where}: §${c.section} has no heading in ${PROTOCOL}`];
    if (c.rule !== undefined && !lines.some((line) => line.startsWith(`${c.rule}. `))) return [`${c.where}: §${c.section} rule ${c.rule} is not an item of that section`];
    return [];
  });
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

function libCitations(): Citation[] {
  return tsFiles(path.join(ROOT, 'lib')).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => citationsIn(line, `${path.relative(ROOT, file).split(path.sep).join('/')}:${i + 1}`)),
  );
}

describe(`the protocol sections lib/ cites, against ${PROTOCOL}`, () => {
  it('finds every cited section and rule as a heading and list item there', () => {
    const citations = libCitations();
    assert.ok(citations.length >= 27, `${citations.length} citations read`);
    assert.deepEqual(unresolved(citations, readFileSync(path.join(ROOT, PROTOCOL), 'utf8')), []);
  });

  it('reads ranges, lettered sections and rules, and names what does not resolve', () => {
    const citations = citationsIn('(protocol §1.1–§1.3, §7a, §8 rule 4, §8 rule 9, §5)', 'x.ts:1');
    assert.deepEqual(
      citations.map((c) => `${c.section}${c.rule === undefined ? '' : ` rule ${c.rule}`}`),
      ['1.1', '1.2', '1.3', '7a', '8 rule 4', '8 rule 9', '5'],
    );
    const markdown = ['# Doc', '## Reference', '### 1 Topology', '#### 1.1 Names', '#### 1.3 Keys', '#### 7a Ten one', '### 8 Rules', '1. one', '4. four', '## Other', '9. nine'].join('\n');
    assert.deepEqual(unresolved(citations, markdown), [
      `x.ts:1: §1.2 has no heading in ${PROTOCOL}`,
      'x.ts:1: §8 rule 9 is not an item of that section',
      `x.ts:1: §5 has no heading in ${PROTOCOL}`,
    ]);
  });
});
