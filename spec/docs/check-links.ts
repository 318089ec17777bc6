// checkLinks(): the links of README.md and docs/*.md. A relative link must reach a file of the checkout that
// the npm package ships (the package.json `files`), since the README and the guides are read on the registry
// and in node_modules too; anything else (samples/, ARCHITECTURE.md) is linked by repository URL, and a
// repository URL must name a path that exists. A #anchor must name a heading of its target.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DocProblem } from './doc-problem.ts';
import type { MarkdownDocument } from './read-documents.ts';

/** Where links are resolved and what the package ships. */
export interface LinkContext {
  /** The checkout's root. */
  readonly root: string;
  /** The package.json `files` entries (`!` entries are ignored: they only exclude build leftovers). */
  readonly files: readonly string[];
  /** The repository URL prefix whose links name checkout paths, e.g. `https://github.com/o/r/`. */
  readonly repositoryUrl: string;
}

const ALWAYS_SHIPPED = /^(package\.json|readme[^/]*|license[^/]*|licence[^/]*|changelog[^/]*)$/i;
// [text](target "title") and ![alt](target); <…> targets too.
const INLINE_LINK = /!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^\s)>]*)>?(?:\s+"[^"]*")?\s*\)/g;
const REFERENCE = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/;

/** Checks every link of `documents`; returns one problem per broken one. */
export function checkLinks(documents: readonly MarkdownDocument[], context: LinkContext): DocProblem[] {
  const problems: DocProblem[] = [];
  const anchorsOf = new Map<string, Set<string> | undefined>();
  const anchors = (file: string): Set<string> | undefined => {
    if (!anchorsOf.has(file)) anchorsOf.set(file, existsSync(file) ? toAnchors(readFileSync(file, 'utf8')) : undefined);
    return anchorsOf.get(file);
  };
  for (const { document, markdown } of documents) {
    for (const { line, target } of toLinks(markdown)) {
      const problem = checkTarget(document, target, context, anchors);
      if (problem !== undefined) problems.push({ document, line, message: `${problem} (link ${target})` });
    }
  }
  return problems;
}

function checkTarget(document: string, target: string, context: LinkContext, anchors: (file: string) => Set<string> | undefined): string | undefined {
  if (target.startsWith(context.repositoryUrl)) {
    // https://github.com/o/r/tree/main/samples/x or /blob/main/ARCHITECTURE.md#rooms
    const rest = /^(?:tree|blob)\/[^/]+\/([^#?]*)/.exec(target.slice(context.repositoryUrl.length));
    if (rest === null) return undefined;
    const relative = decodeURIComponent(rest[1]!).replace(/\/$/, '');
    return existsSync(path.join(context.root, relative)) ? undefined : `the repository has no ${relative}`;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  const hash = target.indexOf('#');
  const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const file = pathPart === '' ? path.join(context.root, document) : path.resolve(path.dirname(path.join(context.root, document)), pathPart);
  const relative = path.relative(context.root, file).split(path.sep).join('/');
  if (relative.startsWith('..')) return 'it leads out of the repository';
  if (!existsSync(file)) return `${relative} does not exist`;
  if (!isShipped(relative, context.files)) return `${relative} is not in the npm package (package.json "files"); link it by repository URL (${context.repositoryUrl}blob/main/${relative})`;
  if (anchor !== undefined && anchor !== '' && file.endsWith('.md')) {
    if (!anchors(file)!.has(anchor)) return `${relative} has no heading #${anchor}`;
  }
  return undefined;
}

/** Whether the package ships `relative` (a checkout path with `/`). */
function isShipped(relative: string, files: readonly string[]): boolean {
  if (ALWAYS_SHIPPED.test(relative)) return true;
  return files.filter((f) => !f.startsWith('!')).some((entry) => {
    const clean = entry.replace(/^\.\//, '').replace(/\/$/, '');
    return relative === clean || relative.startsWith(`${clean}/`);
  });
}

/** The link targets of `markdown` outside code, with their lines. */
function toLinks(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  let fence: string | undefined;
  markdown.split(/\r?\n/).forEach((text, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length && text.trim() === marker) fence = undefined;
      return;
    }
    if (marker !== undefined) {
      fence = marker;
      return;
    }
    const prose = text.replace(/(`+)[^`]*?\1/g, '');
    const reference = REFERENCE.exec(prose);
    if (reference !== null) links.push({ line: index + 1, target: reference[1]! });
    for (const match of prose.matchAll(INLINE_LINK)) links.push({ line: index + 1, target: match[1]! });
  });
  return links;
}

/** The anchors GitHub gives the headings of `markdown` (lower case, punctuation dropped, spaces as `-`, repeats numbered). */
function toAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const text of markdown.split(/\r?\n/)) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker !== undefined && (fence === undefined || marker[0] === fence[0])) {
      fence = fence === undefined ? marker : undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (heading === null) continue;
    const plain = heading[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
    const slug = plain.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}
